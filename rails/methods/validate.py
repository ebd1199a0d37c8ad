"""The one entry point: validate a submitted payout method of any type."""

from __future__ import annotations

import re
from collections.abc import Mapping

from rails.methods.bank import IBAN_SPEC, US_BANK_ACCOUNT
from rails.methods.errors import InvalidMethod, UnsupportedCurrency, UnsupportedMethodType
from rails.methods.fields import reject_unknown
from rails.methods.local import CLABE, PIX, UPI
from rails.methods.types import MethodSpec, MethodType, ValidatedMethod
from rails.methods.wallets import DEBIT_CARD, PAYPAL, VENMO

_SPECS: dict[MethodType, MethodSpec] = {
    MethodType.US_BANK_ACCOUNT: US_BANK_ACCOUNT,
    MethodType.IBAN: IBAN_SPEC,
    MethodType.PAYPAL: PAYPAL,
    MethodType.VENMO: VENMO,
    MethodType.DEBIT_CARD: DEBIT_CARD,
    MethodType.PIX: PIX,
    MethodType.UPI: UPI,
    MethodType.CLABE: CLABE,
}
assert set(_SPECS) == set(MethodType), "every method type needs a spec"

SUPPORTED_CURRENCIES: dict[MethodType, frozenset[str]] = {
    kind: spec.currencies for kind, spec in _SPECS.items()
}
# The fields each type accepts, for API documentation and forms.
METHOD_FIELDS: dict[MethodType, frozenset[str]] = {
    kind: spec.fields for kind, spec in _SPECS.items()
}

_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def _method_type(value: object) -> MethodType:
    if isinstance(value, str):
        try:
            return MethodType(value.strip().lower())
        except ValueError:
            pass
    raise UnsupportedMethodType(
        field="type", reason="must be one of " + ", ".join(kind.value for kind in MethodType)
    )


def _currency(value: object, kind: MethodType) -> str:
    code = value.strip().upper() if isinstance(value, str) else ""
    supported = SUPPORTED_CURRENCIES[kind]
    if code not in supported:
        reason = (
            f"{kind.value} is not paid in {code}"
            if _CURRENCY_CODE.fullmatch(code)
            else "must be an ISO 4217 currency code"
        )
        raise UnsupportedCurrency(field="currency", reason=reason, supported=sorted(supported))
    return code


def method_validate(
    *,
    type: str,
    currency: str,
    fields: Mapping[str, object],
    payee_country: str = "",
    payee_name: str = "",
) -> ValidatedMethod:
    """Check a submitted payout method for real and return it in canonical form.

    Guarantees that the returned method can be addressed on its rail as far as can be known
    without asking a bank: checksums hold (ABA, IBAN and national, CLABE, CPF/CNPJ), formats are
    exact, the currency is one the type (and, for an IBAN, its country) is paid in, a card is a
    provider token that has not expired, and no field was ignored. ``payee_country`` is the
    country used for PayPal and debit cards when the fields carry none; ``payee_name`` the
    account holder's name when a type takes one and the fields carry none.

    Checks run in this order: the type, the currency, unknown field names, then the type's fields.
    Raises an :class:`InvalidMethod` subclass whose ``field`` names the culprit; no error carries
    a submitted sensitive value.
    """
    kind = _method_type(type)
    code = _currency(currency, kind)
    if not isinstance(fields, Mapping):
        raise InvalidMethod(field="fields", reason="must be an object")
    spec = _SPECS[kind]
    reject_unknown(fields, spec.fields)
    if payee_name and "account_holder_name" in spec.fields and "account_holder_name" not in fields:
        fields = {**fields, "account_holder_name": payee_name}
    return spec.validate(fields, code, payee_country)
