"""Why a payout method was refused: one error class per failure, each with a stable code.

Every class subclasses :class:`InvalidMethod`, so a caller can catch one type. Each carries the
offending ``field`` and a short ``reason`` in its details, which the API renders as field errors.

A reason is always fixed text written here: it never quotes the submitted value, because that value
may be an account number, an IBAN, a card token or a PIX key. Nor does an error chain the
underlying library exception (schwifty's messages quote the IBAN), so a logged traceback cannot
leak it either.
"""

from __future__ import annotations

from typing import Any

from core.errors import DomainError


class InvalidMethod(DomainError):
    """A payout method that cannot be paid to; also used for unknown fields and bad options."""

    code = "invalid_payout_method"

    def __init__(self, *, field: str, reason: str, **details: Any) -> None:
        super().__init__(f"{field}: {reason}", field=field, reason=reason, **details)
        self.field = field
        self.reason = reason


class UnsupportedMethodType(InvalidMethod):
    code = "unsupported_method_type"


class UnsupportedCurrency(InvalidMethod):
    """The method type (or, for an IBAN, its country) is not paid in that currency."""

    code = "unsupported_currency"


class MissingField(InvalidMethod):
    code = "missing_field"


class InvalidHolderName(InvalidMethod):
    code = "invalid_holder_name"


class InvalidRoutingNumber(InvalidMethod):
    code = "invalid_routing_number"


class InvalidAccountNumber(InvalidMethod):
    code = "invalid_account_number"


class InvalidIban(InvalidMethod):
    code = "invalid_iban"


class InvalidBic(InvalidMethod):
    code = "invalid_bic"


class InvalidEmail(InvalidMethod):
    code = "invalid_email"


class InvalidPhone(InvalidMethod):
    code = "invalid_phone"


class InvalidCardToken(InvalidMethod):
    code = "invalid_card_token"


class InvalidCardLast4(InvalidMethod):
    code = "invalid_card_last4"


class InvalidPixKey(InvalidMethod):
    code = "invalid_pix_key"


class InvalidUpiVpa(InvalidMethod):
    code = "invalid_upi_vpa"


class InvalidClabe(InvalidMethod):
    code = "invalid_clabe"
