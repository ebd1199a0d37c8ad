"""What the payout method tests share: one valid submission per type, and how to assert a refusal.

These are pure validators, so nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from rails.methods import (
    InvalidMethod,
    MethodType,
    ValidatedMethod,
    method_validate,
)

NAME = {"account_holder_name": "Jane Doe"}
# One valid submission per type, to vary one field at a time.
VALID: dict[MethodType, tuple[str, dict[str, object]]] = {
    MethodType.US_BANK_ACCOUNT: (
        "USD",
        {"routing_number": "021000021", "account_number": "000123456789", **NAME},
    ),
    MethodType.IBAN: ("EUR", {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX", **NAME}),
    MethodType.PAYPAL: ("USD", {"email": "jane@example.com", "country": "US"}),
    MethodType.VENMO: ("USD", {"phone": "+1 415 555 0132"}),
    MethodType.DEBIT_CARD: (
        "USD",
        {"token": "tok_1N3T00LkdIwHu7ix", "last4": "4242", "brand": "visa", "country": "US"},
    ),
    MethodType.PIX: ("BRL", {"key": "52998224725", "key_type": "cpf"}),
    MethodType.UPI: ("INR", {"vpa": "ravi.kumar@okaxis"}),
    MethodType.CLABE: ("MXN", {"clabe": "002010077777777771", **NAME}),
}


def validate(
    kind: str, currency: str, payee_country: str = "", **fields: object
) -> ValidatedMethod:
    return method_validate(type=kind, currency=currency, fields=fields, payee_country=payee_country)


def refused(
    error: type[InvalidMethod],
    kind: str,
    currency: str,
    fields: Mapping[str, object],
    *,
    field: str,
    payee_country: str = "",
) -> InvalidMethod:
    """Assert the exact error class and culprit field; return the error for further checks."""
    with pytest.raises(InvalidMethod) as caught:
        method_validate(type=kind, currency=currency, fields=fields, payee_country=payee_country)
    assert type(caught.value) is error, caught.value
    assert caught.value.details["field"] == field
    assert caught.value.code == error.code
    return caught.value


def full_width(ascii_digits: str) -> str:
    """The same digits in their full-width forms (U+FF10 to U+FF19), as some keyboards type them."""
    return "".join(chr(ord(char) - ord("0") + 0xFF10) for char in ascii_digits)


def with_fields(kind: MethodType, **changes: object) -> dict[str, object]:
    fields = dict(VALID[kind][1])
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields
