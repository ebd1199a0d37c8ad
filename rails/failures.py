"""The one normalised failure-code set every rail maps into.

A rail says why a payment failed in its own vocabulary: ACH return codes (``R01``), ISO 20022
reason codes (``AC04``) or a provider's own codes (``limit_exceeded``). The platform stores,
shows and acts on exactly one vocabulary, the :class:`FailureCode` values registered here, each
flagged:

- ``retryable``: submitting the same payout again (later, or on another rail) may succeed, so
  the platform may retry without asking anybody;
- ``payee_action_required``: the payee has to fix or replace their payout method before a new
  payout can succeed.

Both flags false means a human at the platform or the operator has to look (a duplicate, a
rejected file, an unexplained return).

The module is pure: no I/O, no Django, and the sandbox provider may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


class UnknownFailureCode(LookupError):
    """Raised by :func:`failure_get` for a code that is not registered here."""

    def __init__(self, code: str) -> None:
        super().__init__(f"unknown failure code: {code!r}")
        self.code = code


@dataclass(frozen=True)
class FailureCode:
    code: str  # stable, snake_case; stored on attempts and shown through the API
    description: str
    retryable: bool
    payee_action_required: bool


def _register(*codes: FailureCode) -> Mapping[str, FailureCode]:
    registry = {fc.code: fc for fc in codes}
    assert len(registry) == len(codes), "a failure code is registered twice"
    return MappingProxyType(registry)


FAILURE_CODES: Mapping[str, FailureCode] = _register(
    # Bank-side outcomes (ACH returns, ISO 20022 status reasons).
    FailureCode("insufficient_funds", "Insufficient funds at the account", True, False),
    FailureCode("uncollected_funds", "Funds not yet collected at the account", True, False),
    FailureCode("account_closed", "The receiving account is closed", False, True),
    FailureCode("no_account", "No such account, or the account cannot be located", False, True),
    FailureCode("invalid_account_number", "The account number is invalid", False, True),
    FailureCode("invalid_account_data", "The account details fail validation", False, True),
    FailureCode("invalid_bic", "The bank identifier (BIC) is invalid", False, True),
    FailureCode("authorization_revoked", "The holder revoked the authorisation", False, True),
    FailureCode("unauthorized", "The account holder says the entry is not authorised", False, True),
    FailureCode("returned_per_odfi", "Returned at the originating bank's request", False, False),
    FailureCode("payment_stopped", "The account holder stopped the payment", False, True),
    FailureCode("beneficiary_deceased", "The holder or beneficiary is deceased", False, False),
    FailureCode("account_frozen", "The receiving account is frozen or blocked", False, True),
    FailureCode("non_transaction_account", "The account does not accept transactions", False, True),
    FailureCode("transaction_forbidden", "Transactions of this kind are forbidden", False, True),
    FailureCode("credit_refused", "The receiver refused the credit", False, True),
    FailureCode("duplicate_entry", "The bank saw this payment as a duplicate", False, False),
    FailureCode("invalid_file_format", "The file or message was malformed", False, False),
    FailureCode("not_specified", "The bank gave no reason", False, False),
    FailureCode("ach_return_other", "An ACH return code with no specific mapping", False, False),
    FailureCode("other", "A reason with no specific mapping (see the message)", False, False),
    # Provider-side outcomes (HTTP rails).
    FailureCode("provider_timeout", "The provider did not answer in time", True, False),
    FailureCode("provider_unavailable", "The provider could not be reached or failed", True, False),
    FailureCode("provider_auth_failed", "The provider refused our credentials", True, False),
    FailureCode("limit_exceeded", "The amount exceeds the provider's limit", False, False),
    FailureCode("invalid_destination", "The provider refused the destination", False, True),
    FailureCode("destination_rejected", "The destination refused the payment", False, True),
    FailureCode("invalid_request", "The provider refused the request as malformed", False, False),
    FailureCode(
        "idempotency_key_reused", "The idempotency key was used with another request", False, False
    ),
    FailureCode(
        "request_in_progress", "The provider is still working on this request", True, False
    ),
    FailureCode(
        "confirmed_not_executed",
        "An operator confirmed with the provider that it was never executed",
        False,
        False,
    ),
)

ACH_RETURN_CODES: Mapping[str, str] = MappingProxyType(
    {
        "R01": "insufficient_funds",
        "R02": "account_closed",
        "R03": "no_account",
        "R04": "invalid_account_number",
        "R05": "unauthorized",
        "R06": "returned_per_odfi",
        "R07": "authorization_revoked",
        "R08": "payment_stopped",
        "R09": "uncollected_funds",
        "R10": "unauthorized",
        "R14": "beneficiary_deceased",
        "R15": "beneficiary_deceased",
        "R16": "account_frozen",
        "R17": "invalid_account_data",
        "R20": "non_transaction_account",
        "R23": "credit_refused",
        "R24": "duplicate_entry",
        "R29": "unauthorized",
    }
)

ISO_REASON_CODES: Mapping[str, str] = MappingProxyType(
    {
        "AC01": "invalid_account_number",
        "AC04": "account_closed",
        "AC06": "account_frozen",
        "AG01": "transaction_forbidden",
        "AM04": "insufficient_funds",
        "AM05": "duplicate_entry",
        "BE05": "no_account",
        "MD07": "beneficiary_deceased",
        "MS02": "not_specified",
        "MS03": "not_specified",
        "RC01": "invalid_bic",
        "FF01": "invalid_file_format",
        "NARR": "other",
    }
)

ACH_RETURN_OTHER = "ach_return_other"
ISO_REASON_OTHER = "other"


def failure_get(code: str) -> FailureCode:
    """Return the registered failure code ``code``.

    Raises :class:`UnknownFailureCode` when ``code`` is not registered (a code we store always
    is, so this is a bug or corrupt input, not a rail outcome).
    """
    try:
        return FAILURE_CODES[code]
    except KeyError:
        raise UnknownFailureCode(code) from None


def failure_for_ach(code: str) -> FailureCode:
    """Map an ACH return code (``R01``; case and surrounding spaces ignored) to our code.

    Never raises: a return code without a specific mapping (there are ~85 and NACHA adds more)
    maps to ``ach_return_other`` so an unfamiliar return file line is still recorded.
    """
    return FAILURE_CODES[ACH_RETURN_CODES.get(code.strip().upper(), ACH_RETURN_OTHER)]


def failure_for_iso(code: str) -> FailureCode:
    """Map an ISO 20022 status reason code (``AC04``; case and spaces ignored) to our code.

    Never raises: a code without a specific mapping maps to ``other``; the rail's message and
    raw code are kept beside it for support.
    """
    return FAILURE_CODES[ISO_REASON_CODES.get(code.strip().upper(), ISO_REASON_OTHER)]
