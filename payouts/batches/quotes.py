"""Quoting many payouts at once, with the answers ``payout_quote`` gives one at a time.

A batch of 100,000 items cannot afford ``payout_quote``'s four queries per item. ``BatchQuoter``
loads the payees and methods of a batch in bulk and caches routes and fee rules for one call,
and quotes each item with ``payouts.lifecycle.quotes.quote_make``, the function that quotes a
single payout: the same checks in the same order, so an invalid item carries exactly the error
a single payout would get, without a query of its own.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from core.errors import DomainError
from payouts.lifecycle.quotes import OneByOne, Quote, quote_make
from payouts.payees.models import Payee, PayoutMethod
from payouts.payees.selectors import method_missing, payee_missing
from payouts.platforms.models import FeeRule, Platform, Speed
from rails.models import Route
from rails.routing import NoRoute, RouteChoice

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
    """``quote_make`` for the items of one batch (or one chunk of it), reading payees and
    methods in bulk and routes and fee rules once per distinct key. Build it, quote, drop it:
    its caches are only as fresh as the call that made them."""

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
        self.routes: dict[_RouteKey, RouteChoice | NoRoute] = {}
        self.fee_rules: dict[tuple[str, str, str], FeeRule | None] = {}
        self._reads = OneByOne(platform)

    def quote(self, request: ItemRequest) -> Quote | DomainError:
        """The quote for one item, or the ``DomainError`` ``payout_quote`` raises for it."""
        try:
            return quote_make(
                platform=self.platform,
                reads=self,
                payee_id=request.payee_id,
                method_id=request.method_id,
                amount=request.amount,
                currency=request.currency,
                speed=request.speed,
                now=self.now,
            )
        except DomainError as exc:
            return exc

    # QuoteReads, from the caches.

    def payee(self, payee_id: object) -> Payee:
        found = self.payees.get(_id_or_none(payee_id) or 0)
        if found is None:
            raise payee_missing(payee_id)
        return found

    def method(self, payee: Payee, method_id: object) -> PayoutMethod:
        found = self.methods.get(_id_or_none(method_id) or 0)
        if found is None or found.payee_id != payee.id:
            raise method_missing(method_id)
        return found

    def route(self, method: PayoutMethod, currency: str, speed: str, minor: int) -> RouteChoice:
        key = (method.country, currency, method.type, speed, minor if self.amount_matters else 0)
        if key not in self.routes:
            try:
                self.routes[key] = self._reads.route(method, currency, speed, minor)
            except NoRoute as exc:
                self.routes[key] = exc
        found = self.routes[key]
        if isinstance(found, NoRoute):
            # A copy for each item: re-raising one instance would grow its traceback per item.
            raise copy.copy(found)
        return found

    def fee_rule(self, rail: str, speed: str, currency: str) -> FeeRule | None:
        key = (rail, speed, currency)
        if key not in self.fee_rules:
            self.fee_rules[key] = self._reads.fee_rule(rail, speed, currency)
        return self.fee_rules[key]
