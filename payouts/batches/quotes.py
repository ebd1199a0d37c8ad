"""Quoting many payouts at once, with the answers ``payout_quote`` gives one at a time.

A batch of 100,000 items cannot afford ``payout_quote``'s four queries per item. ``BatchQuoter``
loads the payees and methods of a batch in bulk and caches routes and fee rules for one call,
then runs the same checks on the happy path. Whenever that path would refuse an item, the item is
quoted again by ``payout_quote`` itself, so an invalid item carries exactly the error a single
payout would get, and the fast path can only ever be stricter, never more lenient.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from core.errors import DomainError
from payouts.lifecycle.services import Quote, payout_quote
from payouts.payees.models import Payee, PayeeStatus, PayoutMethod
from payouts.payees.payability import method_usable_check
from payouts.platforms.amounts import amount_minor, net_minor, percent_of, platform_currency
from payouts.platforms.models import FeeRule, Platform, Speed
from rails.models import Route
from rails.routing import NoRoute, RouteChoice, route_resolve

_RouteKey = tuple[str, str, str, str, int]


def as_id(value: object) -> object:
    """An id as a batch item may give it: an int, or a string of digits (a CSV cell, a JSON
    string). Anything else is passed on as it is, for ``payout_quote`` to refuse."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _id_or_none(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


@dataclass(frozen=True)
class ItemRequest:
    payee_id: object
    method_id: object
    amount: object
    currency: object
    speed: object = Speed.STANDARD


class BatchQuoter:
    """``payout_quote`` for the items of one batch (or one chunk of it). Build it, quote, drop
    it: its caches are only as fresh as the call that made them."""

    def __init__(self, *, platform: Platform, requests: Iterable[ItemRequest]) -> None:
        requests = list(requests)
        self.platform = platform
        self.now = timezone.now()
        payee_ids = {_id_or_none(r.payee_id) for r in requests} - {None}
        method_ids = {_id_or_none(r.method_id) for r in requests} - {None}
        self.payees: dict[int, Payee] = (
            Payee.objects.filter(platform=platform).in_bulk(payee_ids) if payee_ids else {}
        )
        self.methods: dict[int, PayoutMethod] = (
            PayoutMethod.objects.filter(payee__platform=platform).in_bulk(method_ids)
            if method_ids
            else {}
        )
        # Routes with amount limits make the choice depend on the amount; without any, one
        # answer per country, currency, method type and speed holds for every amount.
        self.amount_matters = (
            Route.objects.filter(is_active=True)
            .filter(Q(min_minor__gt=1) | Q(max_minor__isnull=False))
            .exists()
        )
        self.routes: dict[_RouteKey, RouteChoice | None] = {}
        self.fee_rules: dict[tuple[str, str, str], FeeRule | None] = {}

    def quote(self, request: ItemRequest) -> Quote | DomainError:
        """The quote for one item, or the ``DomainError`` ``payout_quote`` raises for it."""
        fast = self._fast(request)
        if fast is not None:
            return fast
        try:
            return payout_quote(
                platform=self.platform,
                payee_id=request.payee_id,
                method_id=request.method_id,
                amount=request.amount,
                currency=request.currency,
                speed=request.speed,
            )
        except DomainError as exc:
            return exc

    def _fast(self, r: ItemRequest) -> Quote | None:
        """The quote when every check passes on cached data; ``None`` for anything else."""
        payee = self.payees.get(_id_or_none(r.payee_id) or 0)
        method = self.methods.get(_id_or_none(r.method_id) or 0)
        if payee is None or method is None or r.speed not in Speed.values:
            return None
        if payee.status != PayeeStatus.ACTIVE or method.payee_id != payee.id:
            return None
        try:
            code = platform_currency(self.platform, r.currency)
            minor = amount_minor(r.amount, code)
            method_usable_check(method, code)
        except DomainError:
            return None
        speed = str(r.speed)
        route = self._route(method, code, speed, minor)
        if route is None:
            return None
        fee = self._fee(route.rail, speed, code, minor)
        net = net_minor(fee_bearer=self.platform.fee_bearer, amount_minor=minor, fee_minor=fee)
        if net <= 0:
            return None
        return Quote(
            payee=payee,
            method=method,
            currency=code,
            amount_minor=minor,
            fee_minor=fee,
            net_minor=net,
            fee_bearer=self.platform.fee_bearer,
            speed=speed,
            rail=route.rail,
            estimated_arrival=self.now + route.arrival,
        )

    def _route(
        self, method: PayoutMethod, currency: str, speed: str, minor: int
    ) -> RouteChoice | None:
        key = (method.country, currency, method.type, speed, minor if self.amount_matters else 0)
        if key not in self.routes:
            try:
                self.routes[key] = route_resolve(
                    country=method.country,
                    currency=currency,
                    method_type=method.type,
                    speed=speed,
                    amount_minor=minor,
                )
            except NoRoute:
                self.routes[key] = None
        return self.routes[key]

    def _fee(self, rail: str, speed: str, currency: str, minor: int) -> int:
        """``payouts.platforms.amounts.fee_minor`` with the rule cached: the same arithmetic,
        the rounding still in ``percent_of``."""
        key = (rail, speed, currency)
        if key not in self.fee_rules:
            self.fee_rules[key] = FeeRule.objects.filter(
                platform=self.platform, rail=rail, speed=speed, currency=currency
            ).first()
        rule = self.fee_rules[key]
        if rule is None:
            return 0
        fee = max(rule.fixed_minor + percent_of(minor, rule.percent), rule.minimum_minor)
        if rule.maximum_minor is not None:
            fee = min(fee, rule.maximum_minor)
        return fee
