"""The payouts app's domain errors, each with a stable code."""

from collections.abc import Iterable

from core.errors import DomainError, InvalidInput, NotFound
from ledger.errors import BelowFloor

FLOOR_DETAILS = ("account_code", "currency", "balance")


class InsufficientFunds(DomainError):
    code = "insufficient_funds"


def insufficient_funds(
    exc: BelowFloor, message: str, *, details: Iterable[str] = FLOOR_DETAILS
) -> InsufficientFunds:
    """The ledger's ``BelowFloor`` as the payouts app reports it: ``message`` says whose
    balance fell short, and only the named ``details`` of the ledger's error are passed on
    (never the account id or the floor)."""
    return InsufficientFunds(message, **{k: exc.details[k] for k in details if k in exc.details})


class PlatformNotFound(NotFound):
    code = "platform_not_found"


class PayeeNotFound(NotFound):
    code = "payee_not_found"


class MethodNotFound(NotFound):
    code = "payout_method_not_found"


class PayoutNotFound(NotFound):
    code = "payout_not_found"


class BatchNotFound(NotFound):
    code = "batch_not_found"


class DuplicatePayee(DomainError):
    code = "duplicate_external_id"


class DuplicateReference(DomainError):
    code = "duplicate_reference"


class PayeeNotPayable(DomainError):
    code = "payee_not_payable"


class MethodNotUsable(DomainError):
    code = "payout_method_not_usable"


class UnsupportedCurrency(InvalidInput):
    code = "unsupported_currency"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"


class AmountBelowFee(InvalidInput):
    code = "amount_below_fee"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class PayoutNotCancelable(InvalidTransition):
    code = "payout_not_cancelable"


class ApproverIsCreator(DomainError):
    code = "approver_is_creator"


class InvalidApiKey(DomainError):
    code = "invalid_api_key"
