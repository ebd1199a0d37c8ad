"""US bank accounts and IBANs: real numbers pass, near misses fail with their reason.

These are pure validators, so no test here touches the database.
"""

from __future__ import annotations

import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rails.methods import (
    InvalidAccountNumber,
    InvalidBic,
    InvalidIban,
    InvalidMethod,
    InvalidRoutingNumber,
    MethodType,
    UnsupportedCurrency,
    ValidatedMethod,
    method_validate,
)
from tests.rails.methods.support import NAME, VALID, full_width, refused, validate, with_fields


def aba_check_digit(first8: str) -> str:
    d = [int(c) for c in first8]
    partial = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5])
    return str(-partial % 10)


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


@pytest.mark.parametrize(
    "routing",
    [
        "02100002",
        "0210000211",
        "02100002a",
        "021 000 021",
        # python-stdnum would read full-width digits as 021000021 and accept them; we do not.
        full_width("021000021"),
    ],
)
def test_a_routing_number_that_is_not_nine_digits_is_refused(routing: str) -> None:
    error = refused(
        InvalidRoutingNumber,
        "us_bank_account",
        "USD",
        with_fields(MethodType.US_BANK_ACCOUNT, routing_number=routing),
        field="routing_number",
    )
    assert error.details["reason"] == "must be exactly 9 digits"
    assert error.__context__ is None


def test_a_wrong_prefix_is_named_before_a_wrong_check_digit() -> None:
    fields = with_fields(MethodType.US_BANK_ACCOUNT, routing_number="130000021")
    error = refused(InvalidRoutingNumber, "us_bank_account", "USD", fields, field="routing_number")
    assert error.details["reason"] == "does not start with a Federal Reserve code"


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
