"""A batch's events: payout.created for each payout it creates, batch.completed once when every
payout is final (rendered as the API renders the batch), and emitting in bulk at a cost that
does not grow with the number of payouts."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from payouts.batches.models import PayoutBatch
from payouts.batches.representation import batch_data
from payouts.batches.services import batch_create, batches_refresh
from payouts.lifecycle import events
from payouts.lifecycle.models import Payout
from payouts.lifecycle.representation import payout_data
from payouts.lifecycle.services import payout_cancel
from tests.support.events import URL, fanned_out, funded
from tests.support.payouts import ACTOR
from webhooks.endpoints import endpoint_create
from webhooks.models import Event, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def _batch(platform, make_payee, amounts: list[str]) -> PayoutBatch:
    payee, method = funded(platform, make_payee, available="1000.00")
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
    assert fanned_out() == 4  # payee.updated (the method added) and the payouts'
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
    # method, transitions, the events (and savepoint/commit); the deliveries come after it.
    assert small == large
    assert small <= 5
    assert Event.objects.filter(type="payout.paid").count() == 30
    assert not WebhookDelivery.objects.filter(event__type="payout.paid").exists()
    fanned_out()
    assert WebhookDelivery.objects.filter(event__type="payout.paid").count() == 60
