"""Helpers for the tests of events: a receiver's URL, an object's events in order, their fan-out
to deliveries, and a payee with a method and money to pay out."""

from __future__ import annotations

from collections.abc import Callable

from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from tests.support.payouts import bank_method, earn, fund
from webhooks.fanout import events_fan_out
from webhooks.models import Event

URL = "https://receiver.example.com/hooks"


def events_of(object_type: str, object_id: int) -> list[tuple[str, int]]:
    """The object's events as (type, sequence), in sequence."""
    return list(
        Event.objects.filter(object_type=object_type, object_id=object_id)
        .order_by("sequence")
        .values_list("type", "sequence")
    )


def fanned_out() -> int:
    """The work of ``webhooks.fan_out``, in this process: the deliveries of every event not
    fanned out yet (the tests that run no worker). Returns how many events."""
    return events_fan_out()


def funded(
    platform: Platform, make_payee: Callable[..., Payee], available: str = "100.00"
) -> tuple[Payee, PayoutMethod]:
    """A new payee with a USD bank method and ``available`` earned (the platform funded with
    1,000.00)."""
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    earn(platform, payee, available)
    return payee, method
