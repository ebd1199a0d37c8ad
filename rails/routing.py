"""Choosing a rail for a payout from the route table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from core.db import rows
from core.errors import DomainError
from rails.models import ANY, Route
from rails.providers.registry import rail_require

DEFAULT_RAIL = "sandbox"


class NoRoute(DomainError):
    code = "no_route"


@dataclass(frozen=True)
class RouteChoice:
    rail: str
    speed: str
    arrival: dt.timedelta


def route_resolve(
    *, country: str, currency: str, method_type: str, speed: str, amount_minor: int
) -> RouteChoice:
    """The rail for this payout: the most specific active route that carries the speed and the
    amount (ties go to the lowest priority). Raises ``NoRoute`` naming what was asked for."""
    # Hand-written: every payout quote runs it, and the ORM's query costs more to build.
    candidates = rows.select(
        Route,
        "country IN (%s, %s) AND currency IN (%s, %s) AND method_type IN (%s, %s)"
        " AND is_active AND min_minor <= %s AND (max_minor IS NULL OR max_minor >= %s)",
        [country, ANY, currency, ANY, method_type, ANY, amount_minor, amount_minor],
    )
    best: tuple[tuple[int, int, int], Route] | None = None
    for route in candidates:
        if speed not in route.speeds:
            continue
        # More specific first: a route naming the method beats one naming only the country.
        wildcards = (route.method_type == ANY, route.country == ANY, route.currency == ANY)
        rank = (sum(w << i for i, w in enumerate(reversed(wildcards))), route.priority, route.id)
        if best is None or rank < best[0]:
            best = (rank, route)
    if best is None:
        raise NoRoute(
            f"no rail carries {method_type} payouts in {currency} to {country} at {speed} speed",
            country=country,
            currency=currency,
            method_type=method_type,
            speed=speed,
        )
    route = best[1]
    hours = route.arrival_hours.get(speed, 24)
    return RouteChoice(rail=route.rail, speed=speed, arrival=dt.timedelta(hours=float(hours)))


def route_create(*, rail: str, **fields: Any) -> Route:
    """Save a new route to ``rail`` (``fields`` are the other ``Route`` columns). Raises
    ``rails.providers.registry.NoAdapter`` (a ``DomainError``), writing nothing, for a rail with
    no adapter."""
    rail_require(rail)
    return Route.objects.create(rail=rail, **fields)


def route_default_install() -> int:
    """Make sure every method type has a route to the sandbox provider (used by migrations,
    demo data and tests); returns how many routes were added."""
    rail_require(DEFAULT_RAIL)
    added = 0
    for method_type in (
        "us_bank_account",
        "iban",
        "paypal",
        "venmo",
        "debit_card",
        "pix",
        "upi",
        "clabe",
    ):
        _, created = Route.objects.get_or_create(
            country=ANY,
            currency=ANY,
            method_type=method_type,
            rail=DEFAULT_RAIL,
            defaults={
                "speeds": ["standard", "instant"],
                "arrival_hours": {"standard": 24, "instant": 0},
            },
        )
        added += created
    return added
