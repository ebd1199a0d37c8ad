"""Wallets (PayPal, Venmo) and push-to-card debit cards."""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.utils import timezone

from rails.methods.errors import (
    InvalidCardLast4,
    InvalidCardToken,
    InvalidEmail,
    InvalidMethod,
    InvalidPhone,
    MissingField,
)
from rails.methods.fields import (
    country,
    email,
    holder_name,
    phone,
    text,
    without_separators,
)
from rails.methods.types import MethodSpec, MethodType, ValidatedMethod

_PAN_LIKE = re.compile(r"[0-9]{13,}")
_CARD_TOKEN = re.compile(r"tok_[A-Za-z0-9_]{8,64}")
_LAST4 = re.compile(r"[0-9]{4}")
_SHORT_NUMBER = re.compile(r"[0-9]{1,4}")
_CARD_BRANDS = frozenset({"visa", "mastercard", "amex", "discover"})
# Cards are issued for at most about ten years; a later date is a typo, not a card.
_MAX_CARD_LIFETIME_YEARS = 20


def _payee_or_given_country(fields: Mapping[str, object], payee_country: str) -> str:
    given = text(fields, "country", InvalidMethod, required=False) or payee_country
    if not given:
        raise MissingField(field="country", reason="is required when the payee has no country")
    return country(given, field="country")


def _wallet_identifier(
    fields: Mapping[str, object], *, default_region: str, phone_region: str = ""
) -> tuple[str, str]:
    """``("email", address)`` or ``("phone", e164)``: exactly one of the two must be given."""
    address = text(fields, "email", InvalidEmail, required=False)
    number = text(fields, "phone", InvalidPhone, required=False)
    if address and number:
        raise InvalidMethod(field="phone", reason="give either email or phone, not both")
    if address:
        return "email", email(address, field="email")
    if number:
        return "phone", phone(
            number, field="phone", default_region=default_region, required_region=phone_region
        )
    raise MissingField(field="email", reason="email or phone is required")


def _wallet(
    kind: MethodType,
    fields: Mapping[str, object],
    *,
    currency: str,
    country_code: str,
    phone_region: str = "",
) -> ValidatedMethod:
    identifier_type, identifier = _wallet_identifier(
        fields, default_region=country_code, phone_region=phone_region
    )
    return ValidatedMethod(
        type=kind,
        currency=currency,
        country=country_code,
        holder_name=holder_name(fields, required=False),
        secret={identifier_type: identifier},
        public={"wallet": kind.value, "identifier_type": identifier_type},
        last4=identifier[-4:],
        fingerprint_source=f"{kind.value}:{identifier}",
    )


def _validate_paypal(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    country_code = _payee_or_given_country(fields, payee_country)
    return _wallet(MethodType.PAYPAL, fields, currency=currency, country_code=country_code)


def _validate_venmo(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    return _wallet(
        MethodType.VENMO, fields, currency=currency, country_code="US", phone_region="US"
    )


_WALLET_FIELDS = frozenset({"email", "phone", "account_holder_name"})

# The currencies we route to PayPal Payouts: a product choice inside what PayPal accepts.
_PAYPAL_CURRENCIES = (
    "AUD BRL CAD CHF CZK DKK EUR GBP HKD HUF ILS JPY MXN NOK NZD PHP PLN SEK SGD THB USD"
)
PAYPAL = MethodSpec(
    fields=_WALLET_FIELDS | {"country"},
    currencies=frozenset(_PAYPAL_CURRENCIES.split()),
    validate=_validate_paypal,
)
VENMO = MethodSpec(fields=_WALLET_FIELDS, currencies=frozenset({"USD"}), validate=_validate_venmo)


def card_token(value: str) -> str:
    """A provider card token (``tok_`` then 8 to 64 of ``[A-Za-z0-9_]``), never a card number.

    Raises :class:`InvalidCardToken`; the message never repeats the value, PAN or not.
    """
    if _PAN_LIKE.search(without_separators(value)):
        raise InvalidCardToken(
            field="token",
            reason="looks like a card number; send the provider's card token, never the number",
        )
    if not _CARD_TOKEN.fullmatch(value):
        raise InvalidCardToken(field="token", reason="must be tok_ followed by 8 to 64 characters")
    return value


def _whole_number(fields: Mapping[str, object], name: str) -> int | None:
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    # Bounded so that a long digit string never reaches int().
    if isinstance(value, str) and _SHORT_NUMBER.fullmatch(value.strip()):
        return int(value.strip())
    raise InvalidMethod(field=name, reason="must be a whole number")


def card_expiry(fields: Mapping[str, object]) -> tuple[int, int] | None:
    """``(year, month)`` if given, or None. A card is usable until the end of its month.

    Raises :class:`MissingField` when only one half is given, and :class:`InvalidMethod` for an
    impossible or expired date.
    """
    month = _whole_number(fields, "exp_month")
    year = _whole_number(fields, "exp_year")
    if month is None and year is None:
        return None
    if month is None:
        raise MissingField(field="exp_month", reason="is required with exp_year")
    if year is None:
        raise MissingField(field="exp_year", reason="is required with exp_month")
    if not 1 <= month <= 12:
        raise InvalidMethod(field="exp_month", reason="must be 1 to 12")
    now = timezone.now()
    if not 1000 <= year <= 9999:
        raise InvalidMethod(field="exp_year", reason="must be a four-digit year")
    if (year, month) < (now.year, now.month):
        raise InvalidMethod(field="exp_year", reason="card has expired")
    if year > now.year + _MAX_CARD_LIFETIME_YEARS:
        raise InvalidMethod(field="exp_year", reason="is too far in the future")
    return year, month


def _validate_debit_card(
    fields: Mapping[str, object], currency: str, payee_country: str
) -> ValidatedMethod:
    token = card_token(text(fields, "token", InvalidCardToken))
    last4 = text(fields, "last4", InvalidCardLast4)
    if not _LAST4.fullmatch(last4):
        raise InvalidCardLast4(field="last4", reason="must be exactly 4 digits")
    # The last four go in public too, so they travel in the destination details sent to the
    # provider next to the token (the sandbox picks its magic values from them).
    public = {"last4": last4}
    brand = text(fields, "brand", InvalidMethod, required=False).lower()
    if brand:
        if brand not in _CARD_BRANDS:
            raise InvalidMethod(field="brand", reason="must be " + ", ".join(sorted(_CARD_BRANDS)))
        public["brand"] = brand
    expiry = card_expiry(fields)
    if expiry is not None:
        public["exp_year"], public["exp_month"] = str(expiry[0]), f"{expiry[1]:02d}"
    return ValidatedMethod(
        type=MethodType.DEBIT_CARD,
        currency=currency,
        country=_payee_or_given_country(fields, payee_country),
        holder_name=holder_name(fields, required=False),
        secret={"token": token},
        public=public,
        last4=last4,
        # A token is all we hold; the same card tokenised twice is not recognised as one.
        fingerprint_source=f"debit_card:{token}",
    )


# Push-to-card (Visa Direct, Mastercard Send) in the markets we enable it for.
DEBIT_CARD = MethodSpec(
    fields=frozenset(
        {"token", "last4", "brand", "exp_month", "exp_year", "country", "account_holder_name"}
    ),
    currencies=frozenset({"USD", "CAD", "GBP", "EUR", "AUD"}),
    validate=_validate_debit_card,
)
