"""Whether a payee can be paid now, and if not, every reason why, as machine-readable blockers.

Each blocker is one function of a ``PayabilityContext`` returning a ``Blocker`` or None, listed
in ``BLOCKER_CHECKS``. To add a reason (KYC, sanctions, tax), write one more such function and
append it there; put what it needs to read into the context so the checks share one load.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from payouts.common.errors import CurrencyMismatch, MethodNotUsable
from payouts.payees.models import MethodStatus, Payee, PayeeStatus, PayoutMethod
from payouts.payees.selectors import payee_get
from payouts.platforms.models import Platform


def method_usable_check(method: PayoutMethod, currency: str) -> None:
    """A payout in ``currency`` may go to this method: it is active and pays out in that
    currency. Raises ``MethodNotUsable`` (disabled) or ``CurrencyMismatch``."""
    if method.status != MethodStatus.ACTIVE:
        raise MethodNotUsable(f"payout method {method.id} is disabled", field="payout_method")
    if method.currency != currency:
        raise CurrencyMismatch(
            f"payout method {method.id} pays out in {method.currency}, not {currency}",
            field="currency",
        )


@dataclass(frozen=True)
class Blocker:
    code: str
    message: str


@dataclass(frozen=True)
class PayabilityContext:
    platform: Platform
    payee: Payee
    currency: str | None  # None: any currency
    method_currencies: frozenset[str]  # of the payee's active payout methods


@dataclass(frozen=True)
class Payability:
    payee_id: int
    currency: str | None
    blockers: tuple[Blocker, ...]

    @property
    def is_payable(self) -> bool:
        return not self.blockers


BlockerCheck = Callable[[PayabilityContext], Blocker | None]


def payee_blocked(context: PayabilityContext) -> Blocker | None:
    if context.payee.status != PayeeStatus.BLOCKED:
        return None
    return Blocker("payee_blocked", "the payee is blocked; set its status to active to pay it")


def payee_archived(context: PayabilityContext) -> Blocker | None:
    if context.payee.status != PayeeStatus.ARCHIVED:
        return None
    return Blocker("payee_archived", "the payee is archived; set its status to active to pay it")


def currency_not_supported(context: PayabilityContext) -> Blocker | None:
    if context.currency is None or context.currency in context.platform.currencies:
        return None
    return Blocker(
        "currency_not_supported", f"this platform does not pay out in {context.currency}"
    )


def no_payout_method(context: PayabilityContext) -> Blocker | None:
    if context.currency is None:
        if context.method_currencies:
            return None
        return Blocker("no_payout_method", "the payee has no active payout method")
    if context.currency in context.method_currencies:
        return None
    return Blocker(
        "no_payout_method", f"the payee has no active payout method in {context.currency}"
    )


BLOCKER_CHECKS: tuple[BlockerCheck, ...] = (
    payee_blocked,
    payee_archived,
    currency_not_supported,
    no_payout_method,
)


def payee_payability(
    *, platform: Platform, payee_id: int, currency: str | None = None
) -> Payability:
    """The blockers that stop a payout to this payee (in ``currency`` when given), in the order
    of ``BLOCKER_CHECKS``; none means payable. Raises ``PayeeNotFound`` for a payee that is not
    this platform's."""
    payee = payee_get(platform=platform, payee_id=payee_id)
    method_currencies = frozenset(
        PayoutMethod.objects.filter(payee_id=payee.id, status=MethodStatus.ACTIVE)
        .values_list("currency", flat=True)
        .distinct()
    )
    context = PayabilityContext(
        platform=platform, payee=payee, currency=currency, method_currencies=method_currencies
    )
    blockers = tuple(blocker for check in BLOCKER_CHECKS if (blocker := check(context)) is not None)
    return Payability(payee_id=payee.id, currency=currency, blockers=blockers)


# Checked again just before a payout goes to its rail, because a payee or a method can change
# between creation and submission (blocked for fraud, an account disabled as compromised).
# Compliance adds its checks here.
SubmissionCheck = Callable[[Payee, PayoutMethod, str], Blocker | None]


def _payee_not_active(payee: Payee, method: PayoutMethod, currency: str) -> Blocker | None:
    if payee.status == PayeeStatus.ACTIVE:
        return None
    return Blocker(f"payee_{payee.status}", f"the payee is {payee.status}; nothing was sent")


def _method_not_usable(payee: Payee, method: PayoutMethod, currency: str) -> Blocker | None:
    if method.status != MethodStatus.ACTIVE:
        return Blocker("method_disabled", "the payout method is disabled; nothing was sent")
    if method.currency != currency or method.payee_id != payee.id:
        return Blocker("method_mismatch", "the payout method no longer fits; nothing was sent")
    return None


SUBMISSION_CHECKS: tuple[SubmissionCheck, ...] = (_payee_not_active, _method_not_usable)


def submission_blocker(payee: Payee, method: PayoutMethod, currency: str) -> Blocker | None:
    """The first reason a payout to this payee and method may not be submitted now, if any."""
    for check in SUBMISSION_CHECKS:
        if (blocker := check(payee, method, currency)) is not None:
            return blocker
    return None
