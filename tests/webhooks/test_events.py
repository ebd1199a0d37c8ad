"""Events as a mechanism: written in the transaction of the change (or not at all), numbered per
object, with one delivery per enabled, live, subscribed endpoint of the platform. (What each
room's events say: tests/payouts/lifecycle, payees and batches, test_events.py.)"""

from __future__ import annotations

import pytest
from django.db import transaction

from payouts.lifecycle.services import payout_cancel
from payouts.payees.models import Payee
from payouts.payees.services import payee_update
from tests.factories import PlatformFactory, WebhookEndpointFactory
from tests.support.events import URL, events_of, fanned_out, funded
from tests.support.payouts import ACTOR, pay, status_of
from webhooks.endpoints import endpoint_create, endpoint_delete, endpoint_update
from webhooks.events import NewEvent, events_emit
from webhooks.models import Event, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rolled_back_change_leaves_no_event(platform, make_payee) -> None:
    endpoint_create(platform=platform, url=URL)
    payee, method = funded(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    before = (Event.objects.count(), WebhookDelivery.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        payout_cancel(platform=platform, payout_id=payout.id, actor=ACTOR)
        payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")
        assert Event.objects.count() == before[0] + 2  # visible inside the transaction
        raise RuntimeError("the caller's transaction fails after the change")
    assert (Event.objects.count(), WebhookDelivery.objects.count()) == before
    assert status_of(payout.id) == "scheduled"
    assert Payee.objects.get(pk=payee.id).legal_name == "Ada Lovelace"
    assert events_of("payout", payout.id) == [("payout.created", 1)]


def test_emitting_needs_the_changes_transaction(platform) -> None:
    with pytest.raises(AssertionError, match="transaction"):
        events_emit([NewEvent(platform.id, "payee.updated", "payee", 1, {})])


def test_sequences_count_per_object_within_and_across_calls(platform) -> None:
    def new(type_: str, object_id: int) -> NewEvent:
        return NewEvent(platform.id, type_, "payout", object_id, {"n": object_id})

    with transaction.atomic():
        first = events_emit(
            [new("payout.paid", 7001), new("payout.paid", 7002), new("payout.returned", 7001)]
        )
    with transaction.atomic():
        second = events_emit([new("payout.returned", 7002), new("payout.created", 7003)])
    rows = {
        e.id: (e.type, e.object_id, e.sequence)
        for e in Event.objects.filter(pk__in=first.event_ids + second.event_ids)
    }
    assert [rows[i] for i in first.event_ids] == [
        ("payout.paid", 7001, 1),
        ("payout.paid", 7002, 1),
        ("payout.returned", 7001, 2),
    ]
    assert [rows[i] for i in second.event_ids] == [
        ("payout.returned", 7002, 2),
        ("payout.created", 7003, 1),
    ]
    # Another object type has its own numbering.
    with transaction.atomic():
        third = events_emit([NewEvent(platform.id, "payee.updated", "payee", 7001, {})])
    assert Event.objects.get(pk=third.event_ids[0]).sequence == 1


def test_deliveries_go_to_enabled_live_subscribed_endpoints_of_the_platform(
    platform, make_payee
) -> None:
    every = WebhookEndpointFactory.create(platform=platform)
    paid_only = WebhookEndpointFactory.create(platform=platform, event_types=["payout.paid"])
    created_only = WebhookEndpointFactory.create(
        platform=platform, event_types=["payout.created", "payout.failed"]
    )
    disabled = WebhookEndpointFactory.create(platform=platform)
    endpoint_update(platform=platform, endpoint_id=disabled.id, status="disabled")
    deleted = WebhookEndpointFactory.create(platform=platform)
    endpoint_delete(platform=platform, endpoint_id=deleted.id)
    WebhookEndpointFactory.create(platform=PlatformFactory.create(currencies=["USD"]))

    payee, method = funded(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    fanned_out()
    created = Event.objects.get(object_type="payout", object_id=payout.id)
    assert sorted(
        WebhookDelivery.objects.filter(event=created).values_list("endpoint_id", flat=True)
    ) == [every.id, created_only.id]
    payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")
    fanned_out()
    updated = Event.objects.filter(object_type="payee", object_id=payee.id).latest("sequence")
    assert list(
        WebhookDelivery.objects.filter(event=updated).values_list("endpoint_id", flat=True)
    ) == [every.id]
    assert paid_only.deliveries.count() == 0
