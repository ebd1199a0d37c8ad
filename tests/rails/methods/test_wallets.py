"""Wallets (PayPal, Venmo) and push-to-card debit cards.

These are pure validators, so no test here touches the database.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone

from rails.methods import (
    InvalidCardLast4,
    InvalidCardToken,
    InvalidEmail,
    InvalidMethod,
    InvalidPhone,
    MethodType,
    MissingField,
    UnsupportedCurrency,
    ValidatedMethod,
    method_validate,
)
from tests.rails.methods.support import refused, validate, with_fields

# --- wallets -------------------------------------------------------------------------------------


def test_a_paypal_email_takes_the_payee_country() -> None:
    method = validate("paypal", "EUR", payee_country="de", email="Jane.Doe@Example.COM")
    assert method == ValidatedMethod(
        type=MethodType.PAYPAL,
        currency="EUR",
        country="DE",
        holder_name="",
        secret={"email": "jane.doe@example.com"},
        public={"wallet": "paypal", "identifier_type": "email"},
        last4=".com",  # the last four of the whole address: never a hint of the local part
        fingerprint_source="paypal:jane.doe@example.com",
    )


def test_a_paypal_phone_is_read_in_its_country_and_stored_as_e164() -> None:
    method = validate("paypal", "GBP", payee_country="US", country="gb", phone="07911 123456")
    assert method.country == "GB"
    assert method.secret == {"phone": "+447911123456"}
    assert method.public == {"wallet": "paypal", "identifier_type": "phone"}
    assert method.last4 == "3456"


@pytest.mark.parametrize(
    ("fields", "error", "field"),
    [
        ({"email": "jane@example.com", "phone": "+14155550132"}, InvalidMethod, "phone"),
        ({}, MissingField, "email"),
        ({"email": "jane@"}, InvalidEmail, "email"),
        ({"email": "jane@localhost"}, InvalidEmail, "email"),
        ({"email": "jane doe@example.com"}, InvalidEmail, "email"),
        ({"phone": "+1 123"}, InvalidPhone, "phone"),
        ({"phone": "call me"}, InvalidPhone, "phone"),
        ({"email": "jane@example.com", "country": "ZZ"}, InvalidMethod, "country"),
    ],
)
def test_a_bad_paypal_method_is_refused(
    fields: dict[str, object], error: type[InvalidMethod], field: str
) -> None:
    refused(error, "paypal", "USD", fields, field=field, payee_country="US")


def test_paypal_needs_a_country_from_the_fields_or_the_payee() -> None:
    refused(MissingField, "paypal", "USD", {"email": "jane@example.com"}, field="country")


def test_venmo_takes_a_us_phone_or_an_email() -> None:
    method = validate("venmo", "USD", phone="(415) 555-0132")
    assert (method.country, method.secret) == ("US", {"phone": "+14155550132"})
    assert method.fingerprint_source == "venmo:+14155550132"
    assert validate("venmo", "USD", email="jane@example.com").secret == {
        "email": "jane@example.com"
    }


def test_venmo_refuses_a_canadian_phone_and_any_currency_but_dollars() -> None:
    error = refused(InvalidPhone, "venmo", "USD", {"phone": "+1 604 555 0132"}, field="phone")
    assert error.details["reason"] == "must be a US phone number"
    refused(UnsupportedCurrency, "venmo", "CAD", {"phone": "+14155550132"}, field="currency")


# --- debit cards ---------------------------------------------------------------------------------


def test_a_debit_card_token_with_its_details() -> None:
    method = validate(
        "debit_card",
        "USD",
        payee_country="US",
        token="tok_1N3T00LkdIwHu7ixt44h1F8k",
        last4="4242",
        brand="Visa",
        exp_month=4,
        exp_year="2040",
    )
    assert method == ValidatedMethod(
        type=MethodType.DEBIT_CARD,
        currency="USD",
        country="US",
        holder_name="",
        secret={"token": "tok_1N3T00LkdIwHu7ixt44h1F8k"},
        public={"last4": "4242", "brand": "visa", "exp_year": "2040", "exp_month": "04"},
        last4="4242",
        fingerprint_source="debit_card:tok_1N3T00LkdIwHu7ixt44h1F8k",
    )


@pytest.mark.parametrize(
    "pan",
    ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111", "tok_4111111111111111"],
)
def test_a_card_number_in_place_of_a_token_is_refused_without_repeating_it(pan: str) -> None:
    error = refused(
        InvalidCardToken,
        "debit_card",
        "USD",
        with_fields(MethodType.DEBIT_CARD, token=pan),
        field="token",
    )
    assert "card number" in error.message
    assert "1111" not in str(error)


@pytest.mark.parametrize(
    "token", ["tok_short", "card_12345678", "tok_" + "a" * 65, "tok_abc-12345"]
)
def test_a_malformed_card_token_is_refused(token: str) -> None:
    refused(
        InvalidCardToken,
        "debit_card",
        "USD",
        with_fields(MethodType.DEBIT_CARD, token=token),
        field="token",
    )


@pytest.mark.parametrize("last4", ["424", "42424", "42a2", 4242])
def test_card_last4_must_be_four_digits(last4: object) -> None:
    refused(
        InvalidCardLast4,
        "debit_card",
        "USD",
        with_fields(MethodType.DEBIT_CARD, last4=last4),
        field="last4",
    )


@pytest.mark.parametrize(
    ("changes", "error", "field"),
    [
        ({"brand": "jcb"}, InvalidMethod, "brand"),
        ({"exp_month": 13, "exp_year": 2040}, InvalidMethod, "exp_month"),
        ({"exp_month": 0, "exp_year": 2040}, InvalidMethod, "exp_month"),
        ({"exp_month": 12, "exp_year": 40}, InvalidMethod, "exp_year"),
        ({"exp_month": True, "exp_year": 2040}, InvalidMethod, "exp_month"),
        ({"exp_month": "1" * 5000, "exp_year": 2040}, InvalidMethod, "exp_month"),
        ({"exp_month": 12}, MissingField, "exp_year"),
        ({"exp_year": 2040}, MissingField, "exp_month"),
        ({"country": None}, MissingField, "country"),
    ],
)
def test_bad_card_details_are_refused(
    changes: dict[str, object], error: type[InvalidMethod], field: str
) -> None:
    refused(error, "debit_card", "USD", with_fields(MethodType.DEBIT_CARD, **changes), field=field)


def test_a_card_is_good_through_its_expiry_month(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "now", lambda: datetime(2027, 1, 31, 23, 59, tzinfo=UTC))
    fields = with_fields(MethodType.DEBIT_CARD, exp_month="01", exp_year="2027")
    assert method_validate(type="debit_card", currency="USD", fields=fields).public[
        "exp_month"
    ] == ("01")
    error = refused(
        InvalidMethod,
        "debit_card",
        "USD",
        with_fields(MethodType.DEBIT_CARD, exp_month=12, exp_year=2026),
        field="exp_year",
    )
    assert error.details["reason"] == "card has expired"


def test_a_card_that_expired_last_month_is_refused_today() -> None:
    now = timezone.now()
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    fields = with_fields(MethodType.DEBIT_CARD, exp_month=month, exp_year=year)
    refused(InvalidMethod, "debit_card", "USD", fields, field="exp_year")
    fields = with_fields(MethodType.DEBIT_CARD, exp_month=now.month, exp_year=now.year)
    assert method_validate(type="debit_card", currency="USD", fields=fields).type == "debit_card"
