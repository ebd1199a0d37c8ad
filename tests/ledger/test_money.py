"""Exact money: property tests for the conversion at the ledger's edges."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidAmount
from ledger.money import currency_exponent, from_minor, to_minor

CURRENCIES = ["USD", "EUR", "JPY", "BHD", "KWD", "CLP", "GBP"]


@given(currency=st.sampled_from(CURRENCIES), minor=st.integers(-(10**15), 10**15))
def test_minor_units_round_trip_exactly(currency: str, minor: int) -> None:
    amount = from_minor(minor, currency)
    assert to_minor(amount, currency) == minor
    assert to_minor(str(amount), currency) == minor
    # Rendered with exactly the currency's exponent: "25.00", never "25" or "25.0000".
    exponent = currency_exponent(currency)
    assert amount.as_tuple().exponent == -exponent


@given(
    currency=st.sampled_from(CURRENCIES),
    minor=st.integers(-(10**12), 10**12),
    extra=st.integers(1, 9),
)
def test_more_decimals_than_the_currency_allows_is_refused(
    currency: str, minor: int, extra: int
) -> None:
    exponent = currency_exponent(currency)
    over_precise = Decimal(minor).scaleb(-exponent) + Decimal(extra).scaleb(-exponent - 1)
    with pytest.raises(InvalidAmount):
        to_minor(over_precise, currency)


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_floats_are_always_refused(value: float) -> None:
    with pytest.raises(InvalidAmount):
        to_minor(value, "USD")


@pytest.mark.parametrize(
    "amount",
    [
        "999999999999999.999999999999999999",
        "1.00000000000000000000000000001",
        "0." + "0" * 40 + "1",
    ],
)
def test_more_digits_than_a_decimals_precision_are_refused_not_rounded(amount: str) -> None:
    """Past 28 significant digits (the default decimal precision) arithmetic rounds: the
    conversion must still see the decimals the currency does not have."""
    with pytest.raises(InvalidAmount):
        to_minor(amount, "USD")
    with pytest.raises(InvalidAmount):
        to_minor(Decimal(amount), "USD")


def test_many_trailing_zeros_are_exact() -> None:
    assert to_minor("123456789012345.000000000000000000", "USD") == 12345678901234500
    assert to_minor("0." + "0" * 40, "JPY") == 0
