"""A payout's events: written in the transaction of its creation and of each move (a failed
creation writes none), rendered as the API renders the payout, one delivery per subscribed
endpoint
once fanned out."""

from __future__ import annotations

import pytest

from payouts.common.errors import InsufficientFunds
from payouts.lifecycle.models import Payout
from payouts.lifecycle.representation import payout_data
from payouts.lifecycle.services import payout_cancel
from tests.support.events import URL, events_of, fanned_out, funded
from tests.support.payouts import ACTOR, pay
from webhooks.endpoints import endpoint_create
from webhooks.models import Event, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def test_payout_created_is_written_with_the_payout(platform, make_payee) -> None:
    endpoint, _ = endpoint_create(platform=platform, url=URL)
    payee, method = funded(platform, make_payee)
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
    assert not WebhookDelivery.objects.exists()  # written after the commit, by the fan-out
    assert fanned_out() == 2  # payee.updated (the method added) and payout.created
    delivery = WebhookDelivery.objects.get(event=event)
    assert (delivery.endpoint_id, delivery.status, delivery.attempts) == (endpoint.id, "pending", 0)
    assert delivery.is_redelivery is False
    assert delivery.next_attempt_at <= delivery.created


def test_cancel_is_the_next_event_of_the_payout(platform, make_payee) -> None:
    payee, method = funded(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    payout_cancel(platform=platform, payout_id=payout.id, actor=ACTOR, reason="changed my mind")
    assert events_of("payout", payout.id) == [("payout.created", 1), ("payout.canceled", 2)]
    canceled = Event.objects.get(object_type="payout", object_id=payout.id, sequence=2)
    payout = Payout.objects.get(pk=payout.id)
    assert canceled.data == payout_data(payout)
    assert (canceled.data["status"], canceled.data["is_final"]) == ("canceled", True)


def test_a_failed_creation_writes_no_event(platform, make_payee) -> None:
    endpoint_create(platform=platform, url=URL)
    payee, method = funded(platform, make_payee, available="10.00")
    before = (Event.objects.count(), WebhookDelivery.objects.count())
    with pytest.raises(InsufficientFunds):
        pay(platform, payee, method, "40.00")
    assert (Event.objects.count(), WebhookDelivery.objects.count()) == before
    assert not Payout.objects.exists()
