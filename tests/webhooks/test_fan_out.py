"""Fan-out limits: at most WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM endpoints per platform, even when
they are created at once; at most WEBHOOK_REDELIVERIES_PER_MINUTE redelivered deliveries per
platform; and a change's transaction writes only its events (the outbox): their deliveries are
created after the commit, by ``webhooks.fan_out`` or, should its message be lost, the sweep."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from config.celery import app as celery_app
from payouts.payees.services import payee_update
from tests.factories import PlatformFactory
from tests.support.events import fanned_out
from tests.support.payouts import wait_for
from tests.webhooks.webhook_receiver import receiving
from tests.workers import stack_workers
from webhooks import endpoints as webhooks
from webhooks.errors import EventNotFound, RedeliveryRateLimited, WebhookEndpointLimitReached
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)

URL = "https://receiver.example.com/hooks"


def test_a_platform_has_at_most_the_configured_endpoints(platform, settings) -> None:
    settings.WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM = 3
    made = [webhooks.endpoint_create(platform=platform, url=f"{URL}/{i}")[0] for i in range(3)]
    webhooks.endpoint_update(platform=platform, endpoint_id=made[0].id, status="disabled")
    with pytest.raises(WebhookEndpointLimitReached) as caught:
        webhooks.endpoint_create(platform=platform, url=f"{URL}/4")
    assert caught.value.code == "webhook_endpoint_limit_reached"
    assert caught.value.message == "a platform has at most 3 webhook endpoints; delete one first"
    assert caught.value.details == {"limit": 3}
    assert WebhookEndpoint.objects.filter(platform=platform).count() == 3
    # Another platform has its own; a deleted endpoint frees its place.
    other = PlatformFactory.create(currencies=["USD"])
    webhooks.endpoint_create(platform=other, url=URL)
    webhooks.endpoint_delete(platform=platform, endpoint_id=made[1].id)
    webhooks.endpoint_create(platform=platform, url=f"{URL}/4")
    assert WebhookEndpoint.objects.filter(platform=platform, deleted_at=None).count() == 3


def test_the_endpoint_limit_holds_when_endpoints_are_created_at_once(platform, settings) -> None:
    assert settings.WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM == 16
    webhooks.endpoint_create(platform=platform, url=URL)
    threads = 20
    start = threading.Barrier(threads)
    outcomes: list[str] = []
    lock = threading.Lock()

    def create(n: int) -> None:
        try:
            start.wait()
            webhooks.endpoint_create(platform=platform, url=f"{URL}/{n}")
            outcome = "created"
        except WebhookEndpointLimitReached:
            outcome = "refused"
        finally:
            connections.close_all()
        with lock:
            outcomes.append(outcome)

    workers = [threading.Thread(target=create, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(outcomes) == ["created"] * 15 + ["refused"] * 5
    assert WebhookEndpoint.objects.filter(platform=platform).count() == 16


@pytest.fixture
def event(platform, make_payee) -> Event:
    payee = make_payee()
    payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")
    return Event.objects.get(object_type="payee", object_id=payee.id)


def test_redelivery_is_rate_limited_per_platform(platform, event, settings) -> None:
    settings.WEBHOOK_REDELIVERIES_PER_MINUTE = 3
    first, _ = webhooks.endpoint_create(platform=platform, url=f"{URL}/1")
    second, _ = webhooks.endpoint_create(platform=platform, url=f"{URL}/2")
    assert len(webhooks.event_redeliver(platform=platform, event_id=event.id)) == 2
    # Two more would make 4 within a minute: refused whole, nothing written.
    with pytest.raises(RedeliveryRateLimited) as caught:
        webhooks.event_redeliver(platform=platform, event_id=event.id)
    assert caught.value.code == "redelivery_rate_limited"
    assert caught.value.message == (
        "too many redeliveries: at most 3 a minute, and 2 in the last minute"
    )
    assert 0 < caught.value.details["retry_after_s"] <= 60
    assert WebhookDelivery.objects.filter(is_redelivery=True).count() == 2
    [one] = webhooks.event_redeliver(platform=platform, event_id=event.id, endpoint_id=first.id)
    with pytest.raises(RedeliveryRateLimited):
        webhooks.event_redeliver(platform=platform, event_id=event.id, endpoint_id=second.id)
    # Another platform has a limit of its own.
    other = PlatformFactory.create(currencies=["USD"])
    webhooks.endpoint_create(platform=other, url=URL)
    with pytest.raises(EventNotFound):
        webhooks.event_redeliver(platform=other, event_id=event.id)
    # A minute later there is room again.
    WebhookDelivery.objects.filter(is_redelivery=True).update(
        created=timezone.now() - dt.timedelta(seconds=61)
    )
    assert len(webhooks.event_redeliver(platform=platform, event_id=event.id)) == 2
    assert one.is_redelivery


def test_a_change_writes_its_event_and_no_delivery(platform, make_payee) -> None:
    endpoint, _ = webhooks.endpoint_create(platform=platform, url=URL)
    payee = make_payee()
    with transaction.atomic():
        payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")
        event = Event.objects.get(object_type="payee", object_id=payee.id)
        assert event.fanned_out_at is None
        assert WebhookDelivery.objects.count() == 0  # not in the change's transaction
    assert fanned_out() == 1
    event.refresh_from_db()
    assert event.fanned_out_at is not None
    [delivery] = WebhookDelivery.objects.all()
    assert (delivery.event_id, delivery.endpoint_id, delivery.is_redelivery) == (
        event.id,
        endpoint.id,
        False,
    )
    assert fanned_out() == 0  # once only
    assert WebhookDelivery.objects.count() == 1


def test_an_event_has_one_first_delivery_per_endpoint(platform, event) -> None:
    """In the database: a second first delivery of an event to an endpoint is refused, by raw SQL
    too; redeliveries may be many."""
    endpoint, _ = webhooks.endpoint_create(platform=platform, url=URL)
    insert = (
        "INSERT INTO payouts_webhookdelivery (event_id, endpoint_id, status, attempts,"
        " next_attempt_at, last_error, is_redelivery, created)"
        " VALUES (%s, %s, 'pending', 0, now(), '', %s, now())"
    )
    with connection.cursor() as cursor:
        cursor.execute(insert, [event.id, endpoint.id, False])
        for _ in range(2):
            cursor.execute(insert, [event.id, endpoint.id, True])
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute(insert, [event.id, endpoint.id, False])
    assert WebhookDelivery.objects.filter(event=event, is_redelivery=False).count() == 1


def test_a_lost_fan_out_message_is_swept_up(platform, make_payee) -> None:
    with receiving() as receiver:
        endpoint, secret = webhooks.endpoint_create(platform=platform, url=receiver.url)
        receiver.secrets = [secret]
        payee = make_payee()
        payee_update(platform=platform, payee_id=payee.id, legal_name="Ada King")
        celery_app.control.purge()  # the message sent at commit is lost
        assert WebhookDelivery.objects.count() == 0
        with stack_workers():
            celery_app.send_task("webhooks.sweep")
            wait_for(lambda: len(receiver.received) == 1, what="the swept event delivered")
    event = Event.objects.get(object_type="payee", object_id=payee.id)
    assert receiver.event_ids() == [event.id]
    assert WebhookDelivery.objects.get().endpoint_id == endpoint.id
