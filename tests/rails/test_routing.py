"""The route table: the most specific active route that carries the speed and the amount."""

from __future__ import annotations

import datetime as dt

import pytest

from rails.models import ANY, Route
from rails.routing import NoRoute, route_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def routes() -> None:
    Route.objects.all().delete()
    common = {"speeds": ["standard", "instant"], "arrival_hours": {"standard": 24, "instant": 0}}
    Route.objects.create(rail="fallback", priority=100, **common)  # everything wildcard
    Route.objects.create(rail="ach", method_type="us_bank_account", priority=100, **common)
    Route.objects.create(
        rail="rtp",
        method_type="us_bank_account",
        country="US",
        currency="USD",
        priority=50,
        max_minor=100_000,
        speeds=["instant"],
        arrival_hours={"instant": 0.5},
    )
    Route.objects.create(rail="off", method_type="paypal", is_active=False, **common)


def resolve(**kw: object) -> str:
    args: dict[str, object] = {
        "country": "US",
        "currency": "USD",
        "method_type": "us_bank_account",
        "speed": "instant",
        "amount_minor": 500,
        **kw,
    }
    return route_resolve(**args).rail


def test_the_most_specific_route_that_carries_the_payout_wins() -> None:
    assert resolve() == "rtp"
    assert route_resolve(
        country="US", currency="USD", method_type="us_bank_account", speed="instant",
        amount_minor=500,
    ).arrival == dt.timedelta(minutes=30)  # fmt: skip
    assert resolve(speed="standard") == "ach"  # rtp carries instant only
    assert resolve(amount_minor=100_001) == "ach"  # above rtp's maximum
    assert resolve(country="CA") == "ach"  # rtp names the US
    assert resolve(method_type="paypal") == "fallback"  # the paypal route is inactive


def test_no_route_names_what_was_asked() -> None:
    Route.objects.filter(method_type=ANY).delete()
    with pytest.raises(NoRoute) as caught:
        resolve(method_type="upi", currency="INR", country="IN")
    assert caught.value.details["method_type"] == "upi"
    assert resolve() == "rtp"
    with pytest.raises(NoRoute):
        resolve(amount_minor=0)  # below every route's minimum
