"""Payout method validation: every method type checked for real before it is stored or paid.

``method_validate`` is the entry point. The sensitive values it returns in
``ValidatedMethod.secret`` are for ``core.crypto.encrypt_json``; ``fingerprint_source`` is for
``core.crypto.fingerprint``.
"""

from __future__ import annotations

from rails.methods.errors import (
    InvalidAccountNumber,
    InvalidBic,
    InvalidCardLast4,
    InvalidCardToken,
    InvalidClabe,
    InvalidEmail,
    InvalidHolderName,
    InvalidIban,
    InvalidMethod,
    InvalidPhone,
    InvalidPixKey,
    InvalidRoutingNumber,
    InvalidUpiVpa,
    MissingField,
    UnsupportedCurrency,
    UnsupportedMethodType,
)
from rails.methods.types import MethodType, ValidatedMethod, mask
from rails.methods.validate import METHOD_FIELDS, SUPPORTED_CURRENCIES, method_validate

__all__ = [
    "METHOD_FIELDS",
    "SUPPORTED_CURRENCIES",
    "InvalidAccountNumber",
    "InvalidBic",
    "InvalidCardLast4",
    "InvalidCardToken",
    "InvalidClabe",
    "InvalidEmail",
    "InvalidHolderName",
    "InvalidIban",
    "InvalidMethod",
    "InvalidPhone",
    "InvalidPixKey",
    "InvalidRoutingNumber",
    "InvalidUpiVpa",
    "MethodType",
    "MissingField",
    "UnsupportedCurrency",
    "UnsupportedMethodType",
    "ValidatedMethod",
    "mask",
    "method_validate",
]
