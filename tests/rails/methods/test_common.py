"""What every payout method type shares: stable error codes, the type, currency and field names,
holder names, and no secret in any error.

These are pure validators, so no test here touches the database.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import DomainError
from rails.methods import (
    METHOD_FIELDS,
    SUPPORTED_CURRENCIES,
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
    MethodType,
    MissingField,
    UnsupportedCurrency,
    UnsupportedMethodType,
    mask,
    method_validate,
)
from tests.rails.methods.support import NAME, VALID, refused, validate, with_fields

# --- the codes -----------------------------------------------------------------------------------


def test_every_failure_has_its_stable_code_and_is_one_catchable_type() -> None:
    classes = [
        InvalidRoutingNumber, InvalidAccountNumber, InvalidIban, InvalidBic, InvalidEmail,
        InvalidPhone, InvalidCardToken, InvalidCardLast4, InvalidPixKey, InvalidUpiVpa,
        InvalidClabe, UnsupportedMethodType, UnsupportedCurrency, MissingField, InvalidHolderName,
    ]  # fmt: skip
    assert {cls.code for cls in classes} == {
        "invalid_routing_number", "invalid_account_number", "invalid_iban", "invalid_bic",
        "invalid_email", "invalid_phone", "invalid_card_token", "invalid_card_last4",
        "invalid_pix_key", "invalid_upi_vpa", "invalid_clabe", "unsupported_method_type",
        "unsupported_currency", "missing_field", "invalid_holder_name",
    }  # fmt: skip
    assert InvalidMethod.code == "invalid_payout_method"
    assert all(issubclass(cls, InvalidMethod) for cls in classes)
    assert issubclass(InvalidMethod, DomainError)
    error = InvalidIban(field="iban", reason="check digits do not match")
    assert error.message == "iban: check digits do not match"
    assert error.details == {"field": "iban", "reason": "check digits do not match"}
    assert str(error) == "invalid_iban: iban: check digits do not match"


def test_every_type_is_validated_and_declares_its_currencies() -> None:
    assert set(SUPPORTED_CURRENCIES) == set(MethodType) == set(METHOD_FIELDS) == set(VALID)
    assert SUPPORTED_CURRENCIES[MethodType.US_BANK_ACCOUNT] == {"USD"}
    assert SUPPORTED_CURRENCIES[MethodType.VENMO] == {"USD"}
    assert SUPPORTED_CURRENCIES[MethodType.PIX] == {"BRL"}
    assert SUPPORTED_CURRENCIES[MethodType.UPI] == {"INR"}
    assert SUPPORTED_CURRENCIES[MethodType.CLABE] == {"MXN"}
    assert SUPPORTED_CURRENCIES[MethodType.IBAN] == {
        "EUR", "GBP", "CHF", "SEK", "DKK", "NOK", "PLN", "CZK", "HUF", "RON",
    }  # fmt: skip
    for kind, (currency, fields) in VALID.items():
        method = method_validate(type=kind.value, currency=currency, fields=fields)
        assert method.type is kind
        assert method.currency == currency


# --- holder names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "error"),
    [
        (None, MissingField),
        ("   ", MissingField),
        ("Jane\x00Doe", InvalidHolderName),
        ("Jane\nDoe", InvalidHolderName),
        ("Jane \u202eeoD", InvalidHolderName),  # a right-to-left override
        ("Jane\u2028Doe", InvalidHolderName),
        ("J" * 141, InvalidHolderName),
    ],
)
def test_a_bad_holder_name_is_refused(name: str | None, error: type[InvalidMethod]) -> None:
    fields = with_fields(MethodType.US_BANK_ACCOUNT, account_holder_name=name)
    refused(error, "us_bank_account", "USD", fields, field="account_holder_name")


@pytest.mark.parametrize(
    "name",
    [
        "J" * 140,
        "Zoë Ünal-Okafor",
        "\u0645\u062d\u0645\u062f\u200c\u0631\u0636\u0627",
        "李小龍",
        "O'Brien",
    ],
)
def test_real_holder_names_are_accepted(name: str) -> None:
    fields = with_fields(MethodType.US_BANK_ACCOUNT, account_holder_name=name)
    assert method_validate(type="us_bank_account", currency="USD", fields=fields).holder_name == (
        name
    )


# --- type, currency and field names --------------------------------------------------------------


@pytest.mark.parametrize("kind", ["wire", "", "iban ", "IBAN", 5, None, ["iban"]])
def test_the_type_must_be_a_known_one(kind: object) -> None:
    if kind in ("iban ", "IBAN"):  # surrounding space and case are forgiven
        assert method_validate(type=kind, currency="EUR", fields=VALID[MethodType.IBAN][1])
        return
    refused(UnsupportedMethodType, kind, "EUR", {}, field="type")


@pytest.mark.parametrize(
    ("kind", "currency", "reason"),
    [
        (MethodType.US_BANK_ACCOUNT, "EUR", "us_bank_account is not paid in EUR"),
        (MethodType.PIX, "USD", "pix is not paid in USD"),
        (MethodType.UPI, "USD", "upi is not paid in USD"),
        (MethodType.CLABE, "USD", "clabe is not paid in USD"),
        (MethodType.PAYPAL, "INR", "paypal is not paid in INR"),
        (MethodType.DEBIT_CARD, "JPY", "debit_card is not paid in JPY"),
        (MethodType.IBAN, "USD", "iban is not paid in USD"),
        (MethodType.IBAN, "EURO", "must be an ISO 4217 currency code"),
        (MethodType.IBAN, 978, "must be an ISO 4217 currency code"),
    ],
)
def test_a_currency_the_type_does_not_carry_is_refused(
    kind: MethodType, currency: object, reason: str
) -> None:
    error = refused(UnsupportedCurrency, kind.value, currency, VALID[kind][1], field="currency")
    assert error.details["reason"] == reason
    assert error.details["supported"] == sorted(SUPPORTED_CURRENCIES[kind])


def test_the_currency_is_upper_cased() -> None:
    assert validate("upi", " inr ", vpa="ravi@okaxis").currency == "INR"


@pytest.mark.parametrize("kind", list(MethodType))
def test_unknown_fields_are_refused_by_name(kind: MethodType) -> None:
    currency, fields = VALID[kind]
    error = refused(
        InvalidMethod,
        kind.value,
        currency,
        {**fields, "zip": "10001", "nickname": "main"},
        field="nickname",
    )
    assert error.details["unknown_fields"] == ["nickname", "zip"]


def test_fields_must_be_a_mapping() -> None:
    refused(InvalidMethod, "upi", "INR", ["vpa"], field="fields")


# Each string field of each type, and the error a non-string value there must raise.
STRING_FIELDS: list[tuple[MethodType, str, type[InvalidMethod]]] = [
    (MethodType.US_BANK_ACCOUNT, "routing_number", InvalidRoutingNumber),
    (MethodType.US_BANK_ACCOUNT, "account_number", InvalidAccountNumber),
    (MethodType.US_BANK_ACCOUNT, "account_type", InvalidMethod),
    (MethodType.US_BANK_ACCOUNT, "account_holder_name", InvalidHolderName),
    (MethodType.IBAN, "iban", InvalidIban),
    (MethodType.IBAN, "bic", InvalidBic),
    (MethodType.PAYPAL, "email", InvalidEmail),
    (MethodType.PAYPAL, "country", InvalidMethod),
    (MethodType.VENMO, "phone", InvalidPhone),
    (MethodType.DEBIT_CARD, "token", InvalidCardToken),
    (MethodType.DEBIT_CARD, "last4", InvalidCardLast4),
    (MethodType.DEBIT_CARD, "brand", InvalidMethod),
    (MethodType.PIX, "key", InvalidPixKey),
    (MethodType.PIX, "key_type", InvalidPixKey),
    (MethodType.UPI, "vpa", InvalidUpiVpa),
    (MethodType.CLABE, "clabe", InvalidClabe),
]


@pytest.mark.parametrize(("kind", "name", "error"), STRING_FIELDS)
@pytest.mark.parametrize("value", [21000021, 1.5, True, ["x"], {"a": "b"}, b"bytes"])
def test_a_non_string_value_is_refused_with_the_fields_error(
    kind: MethodType, name: str, error: type[InvalidMethod], value: object
) -> None:
    currency, fields = VALID[kind]
    refused(error, kind.value, currency, {**fields, name: value}, field=name)


@pytest.mark.parametrize(("kind", "name", "error"), STRING_FIELDS)
def test_an_overlong_value_is_refused_with_the_fields_error(
    kind: MethodType, name: str, error: type[InvalidMethod]
) -> None:
    currency, fields = VALID[kind]
    refused(error, kind.value, currency, {**fields, name: "9" * 100_000}, field=name)


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (MethodType.US_BANK_ACCOUNT, "routing_number"),
        (MethodType.US_BANK_ACCOUNT, "account_number"),
        (MethodType.IBAN, "iban"),
        (MethodType.DEBIT_CARD, "token"),
        (MethodType.DEBIT_CARD, "last4"),
        (MethodType.PIX, "key"),
        (MethodType.UPI, "vpa"),
        (MethodType.CLABE, "clabe"),
    ],
)
@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_missing_null_or_blank_required_field_is_missing(
    kind: MethodType, name: str, value: str | None
) -> None:
    currency, fields = VALID[kind]
    refused(MissingField, kind.value, currency, {**fields, name: value}, field=name)


# --- no secret in any error ----------------------------------------------------------------------

# Near misses of real sensitive values: each is refused, and no five characters of it may appear
# in what the error shows (its message, details or chained exceptions).
LEAKS: list[tuple[MethodType, dict[str, object], str]] = [
    (
        MethodType.US_BANK_ACCOUNT,
        {"account_number": "98765432109876543210"},
        "98765432109876543210",
    ),
    (MethodType.US_BANK_ACCOUNT, {"account_number": "9876543210x"}, "9876543210x"),
    (MethodType.IBAN, {"iban": "DE89370400440532013001"}, "DE89370400440532013001"),
    (MethodType.IBAN, {"iban": "DE89370400440532013!00"}, "DE89370400440532013!00"),
    (MethodType.IBAN, {"iban": "FR8420041010050500013M02607"}, "FR8420041010050500013M02607"),
    (MethodType.DEBIT_CARD, {"token": "4242424242424242"}, "4242424242424242"),
    (MethodType.DEBIT_CARD, {"token": "tok_secret!value"}, "tok_secret!value"),
    (MethodType.PIX, {"key": "52998224726"}, "52998224726"),
    (MethodType.PIX, {"key": "11222333000182", "key_type": "cnpj"}, "11222333000182"),
    (MethodType.PIX, {"key": "+1 415 555 0132", "key_type": "phone"}, "4155550132"),
    (MethodType.PAYPAL, {"email": "secret.person@"}, "secret.person@"),
    (MethodType.UPI, {"vpa": "secretperson@1bank"}, "secretperson@1bank"),
    (MethodType.CLABE, {"clabe": "032180000118359718"}, "032180000118359718"),
]


@pytest.mark.parametrize(("kind", "changes", "secret"), LEAKS)
def test_no_error_shows_more_than_four_characters_of_a_secret(
    kind: MethodType, changes: dict[str, object], secret: str
) -> None:
    currency, fields = VALID[kind]
    with pytest.raises(InvalidMethod) as caught:
        method_validate(type=kind.value, currency=currency, fields={**fields, **changes})
    error = caught.value
    shown = " ".join([str(error), repr(error), error.message, repr(error.details)])
    assert error.__cause__ is None
    assert error.__context__ is None
    for start in range(len(secret) - 4):
        assert secret[start : start + 5] not in shown, (secret, shown)


def test_a_validated_method_does_not_show_its_secret_in_repr() -> None:
    method = validate("iban", "EUR", iban="DE89370400440532013000", **NAME)
    assert "0532013000" not in repr(method)
    assert "0532013000" not in str(method)
    assert "3000" in repr(method)  # the last four are fine


def test_mask_shows_only_the_last_four() -> None:
    assert mask("6789") == "••••6789"
    assert mask("000123456789") == "••••6789"
    assert mask("jane@example.com") == "••••.com"
    assert mask("") == "••••"


# --- properties ----------------------------------------------------------------------------------


@given(
    kind=st.sampled_from(list(MethodType)),
    fields=st.dictionaries(
        st.sampled_from(sorted(set().union(*METHOD_FIELDS.values()))),
        st.one_of(st.none(), st.text(max_size=30), st.integers(), st.booleans(), st.floats()),
    ),
    currency=st.sampled_from(["USD", "EUR", "GBP", "BRL", "INR", "MXN", "usd", "XXX"]),
)
def test_any_input_is_accepted_or_refused_with_a_method_error(
    kind: MethodType, fields: dict[str, Any], currency: str
) -> None:
    try:
        method = method_validate(type=kind.value, currency=currency, fields=fields)
    except InvalidMethod:
        return
    assert method.currency in SUPPORTED_CURRENCIES[kind]
    assert len(method.last4) <= 4
    for value in method.secret.values():
        assert value not in method.public.values()
