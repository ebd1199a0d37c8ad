"""Exact money at the ledger's edges: ISO 4217 exponents and minor-unit conversion.

Amounts are never floats. An amount with more decimals than its currency allows is rejected,
never rounded: the ledger has no rounding at all.
"""

from __future__ import annotations

from decimal import Context, Decimal, InvalidOperation
from functools import lru_cache

import moneyed

from ledger.errors import InvalidAmount, InvalidCurrency

AmountLike = Decimal | str | int | moneyed.Money

# Account types whose balance grows with debits; the others grow with credits.
DEBIT_NORMAL_TYPES = frozenset({"asset", "expense"})


def normal_sign(account_type: str) -> int:
    """+1 for debit-normal account types, -1 for credit-normal ones (SQL: ledger_normal_sign)."""
    return 1 if account_type in DEBIT_NORMAL_TYPES else -1


@lru_cache(maxsize=512)
def currency_exponent(currency: str) -> int:
    """The ISO 4217 minor-unit exponent of ``currency`` (USD 2, JPY 0, BHD 3)."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isupper():
        raise InvalidCurrency(f"{currency!r} is not an ISO 4217 currency code", currency=currency)
    try:
        sub_unit = moneyed.get_currency(currency).sub_unit
    except moneyed.CurrencyDoesNotExist:
        raise InvalidCurrency(
            f"{currency} is not an ISO 4217 currency", currency=currency
        ) from None
    exponent = len(str(sub_unit)) - 1
    if sub_unit != 10**exponent:
        raise InvalidCurrency(f"{currency} has no decimal minor unit", currency=currency)
    return exponent


def to_minor(amount: AmountLike, currency: str) -> int:
    """Convert an exact amount in major units to integer minor units of ``currency``.

    Raises ``InvalidAmount`` for floats, non-numbers, non-finite values, and amounts with more
    decimals than the currency's exponent; ``InvalidCurrency`` for an unknown currency.
    """
    exponent = currency_exponent(currency)
    if isinstance(amount, moneyed.Money):
        if str(amount.currency) != currency:
            raise InvalidAmount(
                f"amount is in {amount.currency}, expected {currency}",
                amount=str(amount.amount),
                currency=str(amount.currency),
            )
        amount = amount.amount
    if isinstance(amount, bool) or not isinstance(amount, Decimal | str | int):
        raise InvalidAmount(
            f"amount must be a Decimal, an int or a decimal string, not {type(amount).__name__}",
            amount=repr(amount),
        )
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except InvalidOperation:
        raise InvalidAmount(f"{amount!r} is not a decimal number", amount=repr(amount)) from None
    if not value.is_finite():
        raise InvalidAmount(f"{amount!r} is not a finite amount", amount=repr(amount))
    # scaleb rounds to its context's precision (28 digits by default); with at least as many
    # digits as the amount has it only moves the decimal point, so nothing is ever rounded.
    exact = Context(prec=max(len(value.as_tuple().digits), 28))
    scaled = value.scaleb(exponent, context=exact)
    if scaled != scaled.to_integral_value():
        raise InvalidAmount(
            f"{amount} has more decimals than {currency} allows ({exponent})",
            amount=str(amount),
            currency=currency,
            exponent=exponent,
        )
    return int(scaled)


def from_minor(amount_minor: int, currency: str) -> Decimal:
    """Integer minor units to a Decimal quantised to the currency's exponent ("25.00")."""
    # scaleb keeps the integer's digits and sets the exponent: 2500 -> 25.00, 0 -> 0.00.
    # int() also turns a numeric sum of zero from SQL into 0, never "-0.00".
    return Decimal(int(amount_minor)).scaleb(-currency_exponent(currency))
