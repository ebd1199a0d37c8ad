"""The quote of a payout: what it would cost and where it would go, without creating anything.

``quote_make`` is the one function that quotes, for a single payout (``payout_quote``) and for
every item of a batch (``payouts.batches.quotes.BatchQuoter``). They differ only in how they read
payees, methods, routes and fee rules (a ``QuoteReads``): one query each for a single payout, in
bulk and cached for a batch. The checks, their order, the errors and the arithmetic are the same.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Protocol

from django.utils import timezone

from core.errors import InvalidInput
from payouts.common.errors import AmountBelowFee, PayeeNotPayable
from payouts.payees.models import Payee, PayeeStatus, PayoutMethod
from payouts.payees.payability import method_usable_check
from payouts.payees.selectors import payee_get, payee_method_get
from payouts.platforms.amounts import (
    amount_minor,
    fee_of,
    fee_rule_get,
    net_minor,
    platform_currency,
)
from payouts.platforms.models import FeeRule, Platform, Speed
from rails.routing import RouteChoice, route_resolve


@dataclass(frozen=True)
class Quote:
    payee: Payee
    method: PayoutMethod
    currency: str
    amount_minor: int
    fee_minor: int
    net_minor: int
    fee_bearer: str
    speed: str
    rail: str
    estimated_arrival: dt.datetime


class QuoteReads(Protocol):
    """Where a quote reads what it needs. Each read raises what its one-query form raises."""

    def payee(self, payee_id: object) -> Payee:
        """The platform's payee (``PayeeNotFound``)."""
        ...

    def method(self, payee: Payee, method_id: object) -> PayoutMethod:
        """The payee's method, disabled or not (``MethodNotFound``)."""
        ...

    def route(self, method: PayoutMethod, currency: str, speed: str, minor: int) -> RouteChoice:
        """The rail for the payout (``NoRoute``)."""
        ...

    def fee_rule(self, rail: str, speed: str, currency: str) -> FeeRule | None:
        """The platform's fee rule for the rail, speed and currency, if any."""
        ...


class OneByOne:
    """``QuoteReads`` for one payout: one hand-written query per read."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def payee(self, payee_id: object) -> Payee:
        return payee_get(platform=self.platform, payee_id=payee_id)

    def method(self, payee: Payee, method_id: object) -> PayoutMethod:
        return payee_method_get(payee=payee, method_id=method_id)

    def route(self, method: PayoutMethod, currency: str, speed: str, minor: int) -> RouteChoice:
        return route_resolve(
            country=method.country,
            currency=currency,
            method_type=method.type,
            speed=speed,
            amount_minor=minor,
        )

    def fee_rule(self, rail: str, speed: str, currency: str) -> FeeRule | None:
        return fee_rule_get(platform_id=self.platform.id, rail=rail, speed=speed, currency=currency)


def quote_make(
    *,
    platform: Platform,
    reads: QuoteReads,
    payee_id: object,
    method_id: object,
    amount: object,
    currency: object,
    speed: object,
    now: dt.datetime,
) -> Quote:
    """The quote for one payout, reading through ``reads``; the arrival is estimated from
    ``now``. Raises the errors listed on ``payout_quote``, in the same order for every caller."""
    payee = reads.payee(payee_id)
    code = platform_currency(platform, currency)
    minor = amount_minor(amount, code)
    if speed not in Speed.values:
        raise InvalidInput(f"speed is one of {', '.join(Speed.values)}", field="speed")
    if payee.status != PayeeStatus.ACTIVE:
        raise PayeeNotPayable(
            f"payee {payee.id} is {payee.status}", field="payee", status=payee.status
        )
    method = reads.method(payee, method_id)
    method_usable_check(method, code)
    speed_ = str(speed)
    route = reads.route(method, code, speed_, minor)
    fee = fee_of(reads.fee_rule(route.rail, speed_, code), minor)
    net = net_minor(fee_bearer=platform.fee_bearer, amount_minor=minor, fee_minor=fee)
    if net <= 0:
        raise AmountBelowFee("the amount does not cover the fee", field="amount", fee_minor=fee)
    return Quote(
        payee=payee,
        method=method,
        currency=code,
        amount_minor=minor,
        fee_minor=fee,
        net_minor=net,
        fee_bearer=platform.fee_bearer,
        speed=speed_,
        rail=route.rail,
        estimated_arrival=now + route.arrival,
    )


def payout_quote(
    *,
    platform: Platform,
    payee_id: object,
    method_id: object,
    amount: object,
    currency: object,
    speed: object = Speed.STANDARD,
) -> Quote:
    """What a payout would cost and where it would go, without creating anything.

    Raises ``PayeeNotFound``, ``PayeeNotPayable`` (blocked or archived), ``MethodNotFound``,
    ``MethodNotUsable`` (disabled), ``CurrencyMismatch`` (method in another currency),
    ``UnsupportedCurrency``, ``InvalidAmount``, ``AmountBelowFee``, ``NoRoute``."""
    return quote_make(
        platform=platform,
        reads=OneByOne(platform),
        payee_id=payee_id,
        method_id=method_id,
        amount=amount,
        currency=currency,
        speed=speed,
        now=timezone.now(),
    )
