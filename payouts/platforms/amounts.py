"""Amounts and currencies as the payouts services take them, and fee arithmetic.

Rounding happens in exactly one function here: ``percent_of``.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from core.db import rows
from ledger import errors as ledger_errors
from ledger.money import currency_exponent, to_minor
from payouts.common.errors import UnsupportedCurrency
from payouts.platforms.models import FeeBearer, FeeRule, Platform


def platform_currency(platform: Platform, currency: object) -> str:
    """``currency`` if the platform works in it, else ``UnsupportedCurrency``."""
    if not isinstance(currency, str):
        raise UnsupportedCurrency("currency is an ISO 4217 code", field="currency")
    try:
        currency_exponent(currency)
    except ledger_errors.InvalidCurrency:
        raise UnsupportedCurrency(
            f"{currency!r} is not an ISO 4217 currency", field="currency"
        ) from None
    if currency not in platform.currencies:
        raise UnsupportedCurrency(
            f"this platform works in {', '.join(platform.currencies)}, not {currency}",
            field="currency",
            currency=currency,
        )
    return currency


def amount_minor(amount: object, currency: str, *, field: str = "amount") -> int:
    """A positive amount given as a decimal string (or Decimal/int), exact in ``currency``.

    Raises ``InvalidAmount`` for floats, non-numbers, zero or negative amounts and more decimals
    than the currency allows."""
    if isinstance(amount, float):
        raise ledger_errors.InvalidAmount(
            "amounts are decimal strings, not floating-point numbers", field=field
        )
    try:
        minor = to_minor(amount, currency)  # type: ignore[arg-type]
    except ledger_errors.InvalidAmount as exc:
        raise ledger_errors.InvalidAmount(exc.message, field=field) from None
    if minor <= 0:
        raise ledger_errors.InvalidAmount("the amount must be positive", field=field)
    return minor


def percent_of(amount_minor: int, percent: Decimal) -> int:
    """``percent`` % of an amount in minor units, rounded half up to a whole minor unit."""
    return int((Decimal(amount_minor) * percent / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def net_minor(*, fee_bearer: str, amount_minor: int, fee_minor: int) -> int:
    """What reaches the payee: the whole amount when the platform bears the fee (its funding
    pays it), else the amount less the fee."""
    return amount_minor if fee_bearer == FeeBearer.PLATFORM else amount_minor - fee_minor


def fee_rule_get(*, platform_id: int, rail: str, speed: str, currency: str) -> FeeRule | None:
    """The line of the platform's fee schedule for this rail, speed and currency, if any."""
    return rows.first(
        FeeRule,
        "platform_id = %s AND rail = %s AND speed = %s AND currency = %s",
        [platform_id, rail, speed, currency],
    )


def fee_of(rule: FeeRule | None, amount_minor: int) -> int:
    """The fee a rule of the schedule sets for an amount; no rule means no fee."""
    if rule is None:
        return 0
    fee = rule.fixed_minor + percent_of(amount_minor, rule.percent)
    fee = max(fee, rule.minimum_minor)
    if rule.maximum_minor is not None:
        fee = min(fee, rule.maximum_minor)
    return fee
