"""A slow receiver costs its own platform, never the others: every delivery has a total
deadline (WEBHOOK_DELIVERY_DEADLINE_S, however the receiver trickles its answer), webhook
deliveries run on a worker pool of their own, each request is signed just before it is sent,
and deliveries in flight are capped per endpoint and per platform."""

from __future__ import annotations

import pytest
from django.utils import timezone

from config.celery import app as celery_app
from payouts.payees.services import payee_update
from tests.factories import PlatformFactory
from tests.support.events import fanned_out
from tests.support.payouts import Running, bank_method, earn, fund, pay, status_of, wait_for
from tests.webhooks.webhook_receiver import SLOW, receiving, trickling
from tests.workers import stack_workers
from webhooks import endpoints as webhooks
from webhooks.claims import deliveries_claim
from webhooks.delivery import deliveries_send
from webhooks.models import Event, WebhookAttempt, WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


def _payee_events(platform, make_payee, count: int) -> list[Event]:
    payee = make_payee(platform=platform)
    for i in range(count):
        payee_update(platform=platform, payee_id=payee.id, legal_name=f"Name {i}")
    fanned_out()
    return list(Event.objects.filter(object_type="payee", object_id=payee.id).order_by("id"))


@pytest.mark.timeout(120)
def test_a_trickling_answer_is_cut_at_the_deadline(platform, make_payee, settings) -> None:
    """One byte a second never trips a per-read timeout; the deadline bounds the whole POST."""
    settings.WEBHOOK_TIMEOUT_S = 5
    settings.WEBHOOK_DELIVERY_DEADLINE_S = 2
    with trickling(every_s=0.5) as trickler:
        webhooks.endpoint_create(platform=platform, url=trickler.url)
        [event] = _payee_events(platform, make_payee, 1)
        delivery = WebhookDelivery.objects.get(event=event)
        assert deliveries_send(delivery_ids=[delivery.id]) == {"pending": 1}
        assert trickler.requests == 1
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert (attempt.status_code, attempt.error) == (None, "no complete answer within 2.0 s")
    assert 1900 <= attempt.latency_ms < 4500


def test_each_request_is_signed_as_it_is_sent(platform, make_payee, settings) -> None:
    """Deliveries claimed together but sent one after another are signed one after another, so
    a signature is never older than its request's own journey."""
    settings.WEBHOOK_CONCURRENCY = 1
    with receiving() as receiver:
        _, secret = webhooks.endpoint_create(platform=platform, url=receiver.url)
        receiver.secrets = [secret]
        receiver.mode, receiver.slow_s = SLOW, 1.2
        events = _payee_events(platform, make_payee, 2)
        ids = [WebhookDelivery.objects.get(event=e).id for e in events]
        assert deliveries_send(delivery_ids=ids) == {"succeeded": 2}
    stamps = sorted(
        int(got.headers["Payouts-Signature"].split(",")[0].removeprefix("t="))
        for got in receiver.received
    )
    assert stamps[1] - stamps[0] >= 1


def test_deliveries_in_flight_are_capped_per_endpoint_and_platform(make_payee, settings) -> None:
    settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT = 2
    settings.WEBHOOK_MAX_IN_FLIGHT_PER_PLATFORM = 3
    busy, calm = PlatformFactory.create(), PlatformFactory.create()
    first, _ = webhooks.endpoint_create(platform=busy, url="https://a.example.com/hooks")
    second, _ = webhooks.endpoint_create(platform=busy, url="https://b.example.com/hooks")
    third, _ = webhooks.endpoint_create(platform=calm, url="https://c.example.com/hooks")
    for owner in (busy, calm):
        _payee_events(owner, make_payee, 3)
    assert WebhookDelivery.objects.count() == 9

    def claimed_by_endpoint() -> dict[int, int]:
        ids = deliveries_claim()
        found: dict[int, int] = {}
        for endpoint_id in WebhookDelivery.objects.filter(pk__in=ids).values_list(
            "endpoint_id", flat=True
        ):
            found[endpoint_id] = found.get(endpoint_id, 0) + 1
        return found

    # The busy platform's two endpoints share its 3; the calm one's endpoint gets its own 2.
    assert claimed_by_endpoint() == {first.id: 2, second.id: 1, third.id: 2}
    # Those are in flight (leased): nothing more for either platform until they are done.
    assert claimed_by_endpoint() == {}
    WebhookDelivery.objects.filter(endpoint=first, locked_until__isnull=False).update(
        locked_until=timezone.now()
    )  # their leases lapsed (their worker died)
    assert claimed_by_endpoint() == {first.id: 2}


@pytest.mark.timeout(240)
def test_a_trickling_receiver_of_one_platform_does_not_delay_anothers_payouts(
    platform, make_payee, running: Running
) -> None:
    """Platform A's receiver holds its delivery for as long as it is let (here: two minutes);
    meanwhile platform B's payout is paid as usual."""
    celery_app.control.purge()
    other = PlatformFactory.create()
    with trickling(every_s=1.0) as trickler:
        webhooks.endpoint_create(platform=other, url=trickler.url)
        stuck_payee = make_payee(platform=other)
        with stack_workers(env={"WEBHOOK_DELIVERY_DEADLINE_S": "120"}):
            payee_update(platform=other, payee_id=stuck_payee.id, legal_name="Stuck")
            wait_for(lambda: trickler.open == 1, what="A's delivery held by its receiver")
            payee = make_payee()
            method = bank_method(platform, payee)
            fund(platform, "100.00")
            earn(platform, payee, "50.00")
            payout = pay(platform, payee, method, "10.00")
            wait_for(lambda: status_of(payout.id) == "paid", what="B's payout paid")
            assert trickler.open == 1  # A's delivery is still being held
            stuck = WebhookDelivery.objects.get(endpoint__platform=other)
            assert (stuck.status, stuck.attempts) == ("pending", 0)
