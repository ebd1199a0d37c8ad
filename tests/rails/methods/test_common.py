"""Payout method validation: real numbers pass, near misses fail, and no error leaks a secret.

These are pure validators, so no test here touches the database.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
from django.utils import timezone
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
    ValidatedMethod,
    mask,
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


def with_fields(kind: MethodType, **changes: object) -> dict[str, object]:
    fields = dict(VALID[kind][1])
    for name, value in changes.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return fields


def aba_check_digit(first8: str) -> str:
    d = [int(c) for c in first8]
    partial = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
    return str(-partial % 10)


def clabe_check_digit(first17: str) -> str:
    weights = [3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7, 1, 3, 7]
    products = [(int(c) * w) % 10 for c, w in zip(first17, weights, strict=True)]
    return str((10 - sum(products) % 10) % 10)


def cpf_with_check_digits(first9: str) -> str:
    digits = [int(c) for c in first9]
    for length in (9, 10):
        total = sum(digits[i] * (length + 1 - i) for i in range(length))
        remainder = total % 11
        digits.append(0 if remainder < 2 else 11 - remainder)
    return "".join(map(str, digits))


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


# --- US bank accounts ----------------------------------------------------------------------------


@pytest.mark.parametrize("routing", ["021000021", "011000015", "121000358"])
def test_a_us_bank_account_with_a_real_routing_number(routing: str) -> None:
    method = validate(
        "us_bank_account",
        "USD",
        routing_number=routing,
        account_number="0001-2345 6789",
        account_type="Savings",
        account_holder_name="  Jane    Doe ",
    )
    assert method == ValidatedMethod(
        type=MethodType.US_BANK_ACCOUNT,
        currency="USD",
        country="US",
        holder_name="Jane Doe",
        secret={"account_number": "000123456789"},
        public={"routing_number": routing, "account_type": "savings"},
        last4="6789",
        fingerprint_source=f"us_bank_account:{routing}:000123456789",
    )


def test_the_account_type_defaults_to_checking() -> None:
    currency, fields = VALID[MethodType.US_BANK_ACCOUNT]
    method = method_validate(type="us_bank_account", currency=currency, fields=fields)
    assert method.public["account_type"] == "checking"


@pytest.mark.parametrize("routing", ["021000021", "011000015", "121000358"])
def test_a_routing_number_one_off_in_its_check_digit_is_refused(routing: str) -> None:
    for wrong in {str((int(routing[-1]) + delta) % 10) for delta in (1, 9)}:
        error = refused(
            InvalidRoutingNumber,
            "us_bank_account",
            "USD",
            with_fields(MethodType.US_BANK_ACCOUNT, routing_number=routing[:-1] + wrong),
            field="routing_number",
        )
        assert error.details["reason"] == "check digit does not match"


@pytest.mark.parametrize("prefix", ["13", "20", "33", "60", "73", "79", "81", "99"])
def test_a_routing_number_outside_the_federal_reserve_ranges_is_refused(prefix: str) -> None:
    first8 = prefix + "000002"
    routing = first8 + aba_check_digit(first8)
    error = refused(
        InvalidRoutingNumber,
        "us_bank_account",
        "USD",
        with_fields(MethodType.US_BANK_ACCOUNT, routing_number=routing),
        field="routing_number",
    )
    assert error.details["reason"] == "does not start with a Federal Reserve code"


@pytest.mark.parametrize("routing", ["02100002", "0210000211", "02100002a", "021 000 021"])
def test_a_routing_number_that_is_not_nine_digits_is_refused(routing: str) -> None:
    refused(
        InvalidRoutingNumber,
        "us_bank_account",
        "USD",
        with_fields(MethodType.US_BANK_ACCOUNT, routing_number=routing),
        field="routing_number",
    )


@pytest.mark.parametrize("account", ["123", "1" * 18, "1234567a", "12.345678"])
def test_an_account_number_that_is_not_4_to_17_digits_is_refused(account: str) -> None:
    refused(
        InvalidAccountNumber,
        "us_bank_account",
        "USD",
        with_fields(MethodType.US_BANK_ACCOUNT, account_number=account),
        field="account_number",
    )


def test_account_numbers_of_4_and_17_digits_are_accepted() -> None:
    for account in ("1234", "1" * 17):
        fields = with_fields(MethodType.US_BANK_ACCOUNT, account_number=account)
        assert method_validate(type="us_bank_account", currency="USD", fields=fields).secret == {
            "account_number": account
        }


def test_an_unknown_account_type_is_refused() -> None:
    refused(
        InvalidMethod,
        "us_bank_account",
        "USD",
        with_fields(MethodType.US_BANK_ACCOUNT, account_type="brokerage"),
        field="account_type",
    )


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


# --- IBAN ----------------------------------------------------------------------------------------


def test_a_german_iban_derives_its_bic_and_bank() -> None:
    method = validate(
        "iban", "EUR", iban="de89 3704 0044 0532 0130 00", account_holder_name="Max Muster"
    )
    assert method == ValidatedMethod(
        type=MethodType.IBAN,
        currency="EUR",
        country="DE",
        holder_name="Max Muster",
        secret={"iban": "DE89370400440532013000"},
        public={"bank_code": "37040044", "bic": "COBADEFFXXX", "bank_name": "Commerzbank"},
        last4="3000",
        fingerprint_source="iban:DE89370400440532013000",
    )


@pytest.mark.parametrize("currency", ["GBP", "EUR"])
def test_a_british_iban_in_pounds_or_euros(currency: str) -> None:
    method = validate("iban", currency, iban="GB82WEST12345698765432", **NAME)
    assert (method.country, method.currency) == ("GB", currency)
    assert method.secret == {"iban": "GB82WEST12345698765432"}
    assert method.public == {"bank_code": "WEST"}
    assert method.last4 == "5432"


def test_a_french_iban_with_a_given_bic() -> None:
    method = validate(
        "iban", "EUR", iban="FR1420041010050500013M02606", bic="psst fr pp xxx", **NAME
    )
    assert method.country == "FR"
    assert method.secret == {"iban": "FR1420041010050500013M02606"}
    assert method.public == {
        "bank_code": "20041",
        "bic": "PSSTFRPPXXX",
        "bank_name": "LA BANQUE POSTALE",
    }
    assert method.fingerprint_source == "iban:FR1420041010050500013M02606"


def test_an_iban_whose_national_digits_cannot_be_checked_passes_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        method = validate("iban", "SEK", iban="SE4550000000058398257466", **NAME)
    assert method.country == "SE"
    assert method.public["bic"] == "ESSESESS"


@pytest.mark.parametrize(
    ("iban", "reason"),
    [
        ("DE89370400440532013001", "check digits do not match"),
        ("DE88370400440532013000", "check digits do not match"),
        ("GB82WEST12345698765433", "check digits do not match"),
        ("FR1420041010050500013M02607", "check digits do not match"),
        ("DE8937040044053201300", "has the wrong length for its country"),
        ("DE893704004405320130000", "has the wrong length for its country"),
        ("XX89370400440532013000", "does not start with a known IBAN country code"),
        ("DE89370400440532013!00", "has characters or a format its country does not allow"),
        # A valid IBAN checksum over a French BBAN whose RIB key (last two digits) is one off.
        ("FR8420041010050500013M02607", "national check digits do not match"),
    ],
)
def test_a_broken_iban_is_refused_with_the_reason(iban: str, reason: str) -> None:
    error = refused(InvalidIban, "iban", "EUR", {"iban": iban, **NAME}, field="iban")
    assert error.details["reason"] == reason
    # schwifty's own message quotes the IBAN, so it must not ride along as a cause or context.
    assert error.__cause__ is None
    assert error.__context__ is None


def test_the_french_near_miss_really_has_a_good_iban_checksum() -> None:
    iban = "FR8420041010050500013M02607"
    numeric = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    assert int(numeric) % 97 == 1


@pytest.mark.parametrize("bic", ["DEUT", "DEUTDEFF5", "DEUTXXFF", "DEU!DEFF", "DEUTDEFF50!"])
def test_a_broken_bic_is_refused(bic: str) -> None:
    refused(
        InvalidBic,
        "iban",
        "EUR",
        with_fields(MethodType.IBAN, bic=bic),
        field="bic",
    )


@pytest.mark.parametrize(
    ("iban", "currency"),
    [
        ("DE89370400440532013000", "GBP"),  # pounds to a German account
        ("GB82WEST12345698765432", "CHF"),
        ("TR330006100519786457841326", "EUR"),  # Turkey is outside SEPA
    ],
)
def test_an_iban_in_a_currency_its_country_is_not_paid_in_is_refused(
    iban: str, currency: str
) -> None:
    error = refused(UnsupportedCurrency, "iban", currency, {"iban": iban, **NAME}, field="currency")
    assert error.details["country"] == iban[:2]


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


# --- PIX -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "key_type", "inferred", "canonical"),
    [
        ("52998224725", "cpf", "cpf", "52998224725"),
        ("529.982.247-25", "", "cpf", "52998224725"),
        ("11222333000181", "cnpj", "cnpj", "11222333000181"),
        ("11.222.333/0001-81", "", "cnpj", "11222333000181"),
        # An alphanumeric CNPJ, issued since July 2026.
        ("12.abc.345/01de-35", "", "cnpj", "12ABC34501DE35"),
        ("Maria@Example.com.br", "", "email", "maria@example.com.br"),
        ("+55 11 98765-4321", "", "phone", "+5511987654321"),
        ("11 98765-4321", "phone", "phone", "+5511987654321"),
        (
            "123E4567-E89B-42D3-A456-426614174000",
            "",
            "evp",
            "123e4567-e89b-42d3-a456-426614174000",
        ),
    ],
)
def test_a_pix_key_of_each_type(key: str, key_type: str, inferred: str, canonical: str) -> None:
    fields: dict[str, object] = {"key": key}
    if key_type:
        fields["key_type"] = key_type
    method = method_validate(type="pix", currency="BRL", fields=fields)
    assert method == ValidatedMethod(
        type=MethodType.PIX,
        currency="BRL",
        country="BR",
        holder_name="",
        secret={"key": canonical},
        public={"key_type": inferred},
        last4=canonical[-4:],
        fingerprint_source=f"pix:{canonical}",
    )


@pytest.mark.parametrize(
    ("key", "key_type", "error"),
    [
        ("52998224726", "cpf", InvalidPixKey),  # second check digit one off
        ("52998224715", "", InvalidPixKey),  # first check digit one off
        ("11111111111", "cpf", InvalidPixKey),  # passes the arithmetic, never issued
        ("5299822472", "cpf", InvalidPixKey),
        ("11222333000182", "cnpj", InvalidPixKey),
        ("11222333000191", "", InvalidPixKey),
        ("00000000000000", "cnpj", InvalidPixKey),
        ("12ABC34501DE36", "cnpj", InvalidPixKey),
        ("jane@example.com", "cpf", InvalidPixKey),  # the declared type is what is checked
        ("m" * 70 + "@example.com", "email", InvalidPixKey),  # over BCB's 77 characters
        ("maria@", "email", InvalidEmail),
        ("+1 415 555 0132", "phone", InvalidPhone),  # not a Brazilian number
        ("123e4567-e89b-42d3-a456-42661417400", "evp", InvalidPixKey),
        ("hello", "", InvalidPixKey),
    ],
)
def test_a_bad_pix_key_is_refused(key: str, key_type: str, error: type[InvalidMethod]) -> None:
    fields: dict[str, object] = {"key": key}
    if key_type:
        fields["key_type"] = key_type
    refused(error, "pix", "BRL", fields, field="key")


def test_an_unknown_pix_key_type_is_refused() -> None:
    fields = {"key": "52998224725", "key_type": "random"}
    refused(InvalidPixKey, "pix", "BRL", fields, field="key_type")


# --- UPI and CLABE -------------------------------------------------------------------------------


def test_a_upi_address_is_lower_cased() -> None:
    method = validate("upi", "INR", vpa="Ravi.Kumar-1@OKAxis")
    assert (method.country, method.currency) == ("IN", "INR")
    assert method.secret == {"vpa": "ravi.kumar-1@okaxis"}
    assert method.public == {"psp_handle": "okaxis"}
    assert method.last4 == "axis"


@pytest.mark.parametrize(
    "vpa",
    ["r@okaxis", "ravi@1bank", "ravi@b", "ravi", "ravi@ok@axis", "ra vi@okaxis", "ravi@ok.axis"],
)
def test_a_bad_upi_address_is_refused(vpa: str) -> None:
    refused(InvalidUpiVpa, "upi", "INR", {"vpa": vpa}, field="vpa")


@pytest.mark.parametrize(
    ("clabe", "public"),
    [
        ("032180000118359719", {"bank_code": "032"}),
        ("002 010 07777777777 1", {"bank_code": "002", "bank_name": "Banamex"}),
    ],
)
def test_a_real_clabe(clabe: str, public: dict[str, str]) -> None:
    method = validate("clabe", "MXN", clabe=clabe, **NAME)
    digits = clabe.replace(" ", "")
    assert method == ValidatedMethod(
        type=MethodType.CLABE,
        currency="MXN",
        country="MX",
        holder_name="Jane Doe",
        secret={"clabe": digits},
        public=public,
        last4=digits[-4:],
        fingerprint_source=f"clabe:{digits}",
    )


@pytest.mark.parametrize(
    ("clabe", "reason"),
    [
        ("032180000118359718", "check digit does not match"),
        ("032180000118359710", "check digit does not match"),
        ("002010077777777772", "check digit does not match"),
        ("102010077777777771", "check digit does not match"),
        ("03218000011835971", "must be exactly 18 digits"),
        ("0321800001183597190", "must be exactly 18 digits"),
        ("03218000011835971A", "must be exactly 18 digits"),
    ],
)
def test_a_broken_clabe_is_refused(clabe: str, reason: str) -> None:
    error = refused(InvalidClabe, "clabe", "MXN", {"clabe": clabe, **NAME}, field="clabe")
    assert error.details["reason"] == reason


def test_spei_needs_the_holder_name() -> None:
    refused(
        MissingField, "clabe", "MXN", {"clabe": "032180000118359719"}, field="account_holder_name"
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

FED_PREFIXES = [f"{n:02d}" for n in [*range(13), *range(21, 33), *range(61, 73), 80]]


def aba_formula_holds(digits: str) -> bool:
    d = [int(c) for c in digits]
    return (3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5] + d[8]) % 10 == 0


def routing_accepted(routing: str) -> bool:
    fields = with_fields(MethodType.US_BANK_ACCOUNT, routing_number=routing)
    try:
        method_validate(type="us_bank_account", currency="USD", fields=fields)
    except InvalidRoutingNumber:
        return False
    return True


@given(
    prefix=st.sampled_from(FED_PREFIXES),
    rest=st.text(alphabet="0123456789", min_size=7, max_size=7),
)
def test_a_routing_number_passes_iff_the_aba_checksum_holds(prefix: str, rest: str) -> None:
    routing = prefix + rest
    assert routing_accepted(routing) == aba_formula_holds(routing)


@given(
    prefix=st.sampled_from(FED_PREFIXES),
    rest=st.text(alphabet="0123456789", min_size=6, max_size=6),
    position=st.integers(2, 8),
    shift=st.integers(1, 9),
)
def test_any_single_wrong_digit_in_a_routing_number_is_caught(
    prefix: str, rest: str, position: int, shift: int
) -> None:
    first8 = prefix + rest
    routing = first8 + aba_check_digit(first8)
    assert routing_accepted(routing)
    typo = routing[:position] + str((int(routing[position]) + shift) % 10) + routing[position + 1 :]
    assert not routing_accepted(typo)


@given(base=st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_a_clabe_is_valid_with_its_check_digit_and_with_no_other(base: str) -> None:
    good = clabe_check_digit(base)
    for last in "0123456789":
        fields = {"clabe": base + last, **NAME}
        if last == good:
            assert method_validate(type="clabe", currency="MXN", fields=fields).secret == {
                "clabe": base + last
            }
        else:
            with pytest.raises(InvalidClabe):
                method_validate(type="clabe", currency="MXN", fields=fields)


@given(base=st.text(alphabet="0123456789", min_size=9, max_size=9), shift=st.integers(1, 9))
def test_a_cpf_is_valid_with_its_check_digits_and_one_off_is_not(base: str, shift: int) -> None:
    cpf = cpf_with_check_digits(base)
    fields = {"key": cpf, "key_type": "cpf"}
    if len(set(cpf)) == 1:
        with pytest.raises(InvalidPixKey):
            method_validate(type="pix", currency="BRL", fields=fields)
        return
    assert method_validate(type="pix", currency="BRL", fields=fields).secret == {"key": cpf}
    typo = cpf[:-1] + str((int(cpf[-1]) + shift) % 10)
    with pytest.raises(InvalidPixKey):
        method_validate(type="pix", currency="BRL", fields={"key": typo, "key_type": "cpf"})


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
