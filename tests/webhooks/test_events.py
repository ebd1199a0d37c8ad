"""Events: written in the transaction of the change (or not at all), numbered per object, with
one delivery per enabled, live, subscribed endpoint of the platform; cheap in bulk."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from payouts.api.serializers.batches import batch_data
from payouts.api.serializers.payees import payee_data
from payouts.api.serializers.payouts import payout_data
from payouts.batches.models import PayoutBatch
from payouts.batches.services import batch_create, batches_refresh
from payouts.common.errors import InsufficientFunds
from payouts.lifecycle import events
from payouts.lifecycle.models import Payout
from payouts.lifecycle.services import payout_cancel
from payouts.payees.models import Payee
from payouts.payees.services import method_disable, payee_update
from payouts.platforms.services import platform_create
from tests.support.payouts import ACTOR, bank_method, earn, fund, pay, status_of
from webhooks.endpoints import endpoint_create, endpoint_delete, endpoint_update
from webhooks.events import NewEvent, events_emit
from webhooks.models import Event, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)

URL = "https://receiver.example.com/hooks"


def _events(object_type: str, object_id: int) -> list[tuple[str, int]]:
    return list(
        Event.objects.filter(object_type=object_type, object_id=object_id)
        .order_by("sequence")
        .values_list("type", "sequence")
    )


def _funded(platform, make_payee, available: str = "100.00"):
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    earn(platform, payee, available)
    return payee, method


def test_payout_created_is_written_with_the_payout(platform, make_payee) -> None:
    endpoint, _ = endpoint_create(platform=platform, url=URL)
    payee, method = _funded(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    event = Event.objects.get(object_type="payout", object_id=payout.id)
    hold_entry = payout.transitions.get(from_status="").entry_id
    assert (event.platform_id, event.type, event.sequence) == (platform.id, "payout.created", 1)
    assert event.data["id"] == payout.id
    assert event.data["status"] == "scheduled"  # where its creation took it
    assert (event.data["amount"], event.data["fee"], event.data["net_amount"]) == (
        "40.00",
        "0.25",
        "39.75",
    )
    assert event.data["ledger_entries"] == [hold_entry]
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.endpoint_id, delivery.status, delivery.attempts) == (endpoint.id, "pending", 0)
    assert delivery.is_redelivery is False
    assert delivery.next_attempt_at <= delivery.created


def test_cancel_is_the_next_event_of_the_payout(platform, make_payee) -> None:
    payee, method = _funded(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    payout_cancel(platform=platform, payout_id=payout.id, actor=ACTOR, reason="changed my mind")
    assert _events("payout", payout.id) == [("payout.created", 1), ("payout.canceled", 2)]
    canceled = Event.objects.get(object_type="payout", object_id=payout.id, sequence=2)
    payout = Payout.objects.get(pk=payout.id)
    assert canceled.data == payout_data(payout)
    assert (canceled.data["status"], canceled.data["is_final"]) == ("canceled", True)


def test_a_failed_creation_writes_no_event(platform, make_payee) -> None:
    endpoint_create(platform=platform, url=URL)
    payee, method = _funded(platform, make_payee, available="10.00")
    before = (Event.objects.count(), WebhookDelivery.objects.count())
    with pytest.raises(InsufficientFunds):
        pay(platform, payee, method, "40.00")
    assert (Event.objects.count(), WebhookDelivery.objects.count()) == before
    assert not Payout.objects.exists()


def test_a_rolled_back_change_leaves_no_event(platform, make_payee) -> None:
    endpoint_create(platform=platform, url=URL)
    payee, method = _funded(platform, make_payee)
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
    assert _events("payout", payout.id) == [("payout.created", 1)]


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
    every, _ = endpoint_create(platform=platform, url=URL)
    paid_only, _ = endpoint_create(platform=platform, url=URL, event_types=["payout.paid"])
    created_only, _ = endpoint_create(
        platform=platform, url=URL, event_types=["payout.created", "payout.failed"]
    )
    disabled, _ = endpoint_create(platform=platform, url=URL)
    endpoint_update(platform=platform, endpoint_id=disabled.id, status="disabled")
    deleted, _ = endpoint_create(platform=platform, url=URL)
    endpoint_delete(platform=platform, endpoint_id=deleted.id)
    other = platform_create(name=f"Other {time.monotonic_ns()}", currencies=["USD"])
    endpoint_create(platform=other, url=URL)

    payee, method = _funded(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    created = Event.objects.get(object_type="payout", object_id=payout.id)
    assert sorted(
        WebhookDelivery.objects.filter(event=created).values_list("endpoint_id", flat=True)
    ) == [every.id, created_only.id]
    payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")
    updated = Event.objects.filter(object_type="payee", object_id=payee.id).latest("sequence")
    assert list(
        WebhookDelivery.objects.filter(event=updated).values_list("endpoint_id", flat=True)
    ) == [every.id]
    assert paid_only.deliveries.count() == 0


def test_payee_updated_on_real_changes_and_methods(platform, make_payee) -> None:
    payee = make_payee()
    assert _events("payee", payee.id) == []  # creation is not an update
    method = bank_method(platform, payee)
    assert _events("payee", payee.id) == [("payee.updated", 1)]
    payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King", status="blocked")
    updated = Payee.objects.get(pk=payee.id)
    payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")  # no change
    assert _events("payee", payee.id) == [("payee.updated", 1), ("payee.updated", 2)]
    second = Event.objects.get(object_type="payee", object_id=payee.id, sequence=2)
    assert second.data == payee_data(updated)
    assert (second.data["name"], second.data["status"]) == ("Ada King", "blocked")
    method_disable(platform=platform, payee_id=payee.id, method_id=method.id, actor=ACTOR)
    method_disable(platform=platform, payee_id=payee.id, method_id=method.id, actor=ACTOR)
    assert _events("payee", payee.id)[-1] == ("payee.updated", 3)
    assert len(_events("payee", payee.id)) == 3


def _batch(platform, make_payee, amounts: list[str]) -> PayoutBatch:
    payee, method = _funded(platform, make_payee, available="1000.00")
    items = [
        {"payee": payee.id, "payout_method": method.id, "amount": a, "currency": "USD"}
        for a in amounts
    ]
    return batch_create(platform=platform, items=items, actor=ACTOR)


def test_batch_payouts_get_created_events_and_the_batch_completed(platform, make_payee) -> None:
    endpoint, _ = endpoint_create(platform=platform, url=URL)
    batch = _batch(platform, make_payee, ["1.00", "2.00", "3.00"])
    payouts = list(Payout.objects.filter(batch=batch).order_by("id"))
    assert [p.status for p in payouts] == ["scheduled"] * 3
    created = list(Event.objects.filter(type="payout.created").order_by("object_id"))
    assert [(e.object_id, e.sequence) for e in created] == [(p.id, 1) for p in payouts]
    assert [e.data for e in created] == [payout_data(p) for p in payouts]
    assert [e.data["amount"] for e in created] == ["1.00", "2.00", "3.00"]
    assert {e.data["batch"] for e in created} == {batch.id}
    assert WebhookDelivery.objects.filter(event__in=created, endpoint=endpoint).count() == 3
    assert not Event.objects.filter(type="batch.completed").exists()

    for payout in payouts:
        payout_cancel(platform=platform, payout_id=payout.id, actor=ACTOR)
    assert batches_refresh() == 1
    assert batches_refresh() == 0
    completed = Event.objects.get(type="batch.completed")
    batch.refresh_from_db()
    assert (completed.object_type, completed.object_id, completed.sequence) == (
        "payout_batch",
        batch.id,
        1,
    )
    assert completed.data == batch_data(batch)
    assert completed.data["status"] == "completed"


def test_emitting_in_bulk_costs_the_same_for_3_or_30_payouts(platform, make_payee) -> None:
    endpoint_create(platform=platform, url=URL)
    endpoint_create(platform=platform, url=URL, event_types=["payout.paid"])
    batch = _batch(platform, make_payee, ["1.00"] * 30)
    payouts = list(Payout.objects.filter(batch=batch).order_by("id"))

    def queries(some: list[Payout]) -> int:
        fresh = list(Payout.objects.filter(pk__in=[p.id for p in some]).order_by("id"))
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            events.payout_events_emit(items=[(p, "payout.paid") for p in fresh])
        return len(captured.captured_queries)

    small, large = queries(payouts[:3]), queries(payouts[3:])
    # method, transitions, the events, the endpoints, the deliveries (and savepoint/commit).
    assert small == large
    assert small <= 7
    assert Event.objects.filter(type="payout.paid").count() == 30
    assert WebhookDelivery.objects.filter(event__type="payout.paid").count() == 60
