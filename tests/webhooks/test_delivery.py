"""Webhook endpoints and delivery, in this process against a real receiver over HTTP: the
request as sent, the attempt log, backoff and giving up, disabling, secret rotation,
redelivery, deletion and validation. (With a Celery worker: test_delivery_worker.py.)"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from django.utils import timezone

from core.errors import InvalidInput
from payouts.payees.services import payee_update
from tests.factories import PlatformFactory
from tests.support.events import fanned_out
from tests.webhooks.webhook_receiver import FAIL, SLOW, Receiver, receiving
from webhooks import endpoints as webhooks
from webhooks import selectors
from webhooks.delivery import (
    deliveries_send,
    deliveries_sweep,
    event_body,
    retry_delay_s,
)
from webhooks.errors import (
    EventNotFound,
    WebhookEndpointDisabled,
    WebhookEndpointNotFound,
)
from webhooks.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from webhooks.signing import verify

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started


@pytest.fixture
def second_receiver() -> Iterator[Receiver]:
    with receiving() as started:
        yield started


def _endpoint(platform, rcv: Receiver, **kw):
    endpoint, secret = webhooks.endpoint_create(platform=platform, url=rcv.url, **kw)
    rcv.secrets = [secret]
    return endpoint, secret


def _update(platform, payee, name: str) -> Event:
    """A payee.updated event (and its deliveries, fanned out), written by a real change."""
    payee_update(platform=platform, payee_id=payee.id, legal_name=name)
    fanned_out()
    return Event.objects.filter(object_type="payee", object_id=payee.id).latest("sequence")


def _attempts(delivery: WebhookDelivery) -> list[tuple[int, int | None, str]]:
    return list(
        WebhookAttempt.objects.filter(delivery=delivery)
        .order_by("id")
        .values_list("number", "status_code", "error")
    )


def _due(*deliveries: WebhookDelivery) -> None:
    """Time passes: make these deliveries due now."""
    WebhookDelivery.objects.filter(pk__in=[d.pk for d in deliveries]).update(
        next_attempt_at=timezone.now()
    )


def test_a_delivery_is_signed_posted_and_logged(platform, make_payee, receiver) -> None:
    endpoint, secret = _endpoint(platform, receiver)
    event = _update(platform, make_payee(), "Ada King")
    delivery = WebhookDelivery.objects.get(event=event)
    assert deliveries_send(delivery_ids=[delivery.id]) == {"succeeded": 1}
    [got] = receiver.received
    assert got.body == event_body(event)
    assert json.loads(got.body) == {
        "id": event.id,
        "type": "payee.updated",
        "created": event.created.isoformat().replace("+00:00", "Z"),
        "sequence": 1,
        "object_type": "payee",
        "object_id": event.object_id,
        "data": event.data,
    }
    assert got.event["data"]["name"] == "Ada King"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["User-Agent"] == "payouts-webhooks/1"
    assert got.headers["Payouts-Event-Id"] == str(event.id)
    header = got.headers["Payouts-Signature"]
    assert header.count("v1=") == 1
    verify(got.body, header, secret)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 1, 200)
    assert (delivery.last_error, delivery.locked_until) == ("", None)
    assert delivery.delivered_at is not None
    [attempt] = WebhookAttempt.objects.filter(delivery=delivery)
    assert (attempt.number, attempt.status_code, attempt.error) == (1, 200, "")
    assert attempt.response_excerpt == "ok"
    assert 0 <= attempt.latency_ms < 5000


def test_sending_again_sends_nothing_twice(platform, make_payee, receiver) -> None:
    _endpoint(platform, receiver)
    payee = make_payee()
    ids = [
        WebhookDelivery.objects.get(event=_update(platform, payee, f"N{i}")).id for i in range(3)
    ]
    assert deliveries_send(delivery_ids=ids) == {"succeeded": 3}
    assert deliveries_send(delivery_ids=ids) == {}
    assert deliveries_sweep() == {}
    assert receiver.requests == 3
    assert sorted(receiver.event_ids()) == sorted(
        WebhookDelivery.objects.filter(pk__in=ids).values_list("event_id", flat=True)
    )
    assert list(WebhookDelivery.objects.filter(pk__in=ids).values_list("attempts", flat=True)) == [
        1,
        1,
        1,
    ]


def test_retry_delay_doubles_to_the_cap_with_equal_jitter(settings) -> None:
    settings.WEBHOOK_RETRY_BASE_S = 30
    settings.WEBHOOK_RETRY_MAX_DELAY_S = 4 * 3600
    low = [retry_delay_s(n, rand=lambda: 0.0) for n in range(1, 13)]
    high = [retry_delay_s(n, rand=lambda: 1.0) for n in range(1, 13)]
    assert low == [15, 30, 60, 120, 240, 480, 960, 1920, 3840, 7200, 7200, 7200]
    assert high == [30, 60, 120, 240, 480, 960, 1920, 3840, 7680, 14400, 14400, 14400]
    assert retry_delay_s(10_000, rand=lambda: 1.0) == 14400
    samples = [retry_delay_s(4) for _ in range(200)]
    assert all(120 <= s <= 240 for s in samples)
    assert len(set(samples)) > 150  # jitter: the deliveries of one outage spread out
    assert sum(samples) / 200 < sum(retry_delay_s(5) for _ in range(200)) / 200


def test_failures_back_off_then_a_2xx_succeeds(platform, make_payee, receiver, settings) -> None:
    settings.WEBHOOK_RETRY_BASE_S = 10
    endpoint, _ = _endpoint(platform, receiver)
    receiver.mode = FAIL
    delivery = WebhookDelivery.objects.get(event=_update(platform, make_payee(), "A"))

    before = timezone.now()
    assert deliveries_send(delivery_ids=[delivery.id]) == {"pending": 1}
    after = timezone.now()
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.last_error == "HTTP 500"
    assert before + dt.timedelta(seconds=5) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= after + dt.timedelta(seconds=10)
    assert deliveries_send(delivery_ids=[delivery.id]) == {}  # not due yet
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 1

    _due(delivery)
    before = timezone.now()
    assert deliveries_send(delivery_ids=[delivery.id]) == {"pending": 1}
    after = timezone.now()
    delivery.refresh_from_db()
    assert before + dt.timedelta(seconds=10) <= delivery.next_attempt_at
    assert delivery.next_attempt_at <= after + dt.timedelta(seconds=20)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 2

    receiver.mode = "ok"
    _due(delivery)
    assert deliveries_sweep() == {"succeeded": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("succeeded", 3, "")
    assert _attempts(delivery) == [(1, 500, "HTTP 500"), (2, 500, "HTTP 500"), (3, 200, "")]
    assert [a.response_excerpt for a in delivery.attempt_log.order_by("id")] == [
        "receiver is failing",
        "receiver is failing",
        "ok",
    ]
    reset = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert (reset.consecutive_failures, reset.failing_since) == (0, None)


def test_a_closed_port_and_a_timeout_are_logged(platform, make_payee, receiver, settings) -> None:
    settings.WEBHOOK_TIMEOUT_S = 0.5
    _endpoint(platform, receiver)
    payee = make_payee()
    delivery = WebhookDelivery.objects.get(event=_update(platform, payee, "A"))
    receiver.mode, receiver.slow_s = SLOW, 2.0
    assert deliveries_send(delivery_ids=[delivery.id]) == {"pending": 1}
    [attempt] = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.error) == (None, "timed out after 0.5 s")
    assert 400 <= attempt.latency_ms < 1900
    receiver.stop()
    _due(delivery)
    assert deliveries_send(delivery_ids=[delivery.id]) == {"pending": 1}
    last = delivery.attempt_log.order_by("id").last()
    assert last.status_code is None
    assert last.error == "connection failed"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, None)


def test_gives_up_at_the_end_of_the_window(platform, make_payee, receiver, settings) -> None:
    settings.WEBHOOK_RETRY_BASE_S = 10
    settings.WEBHOOK_RETRY_WINDOW_S = 3600
    _endpoint(platform, receiver)
    receiver.mode = FAIL
    delivery = WebhookDelivery.objects.get(event=_update(platform, make_payee(), "A"))
    assert deliveries_send(delivery_ids=[delivery.id]) == {"pending": 1}
    # 5 s of the window left, the next delay is 10 to 20 s: the last try falls on its end.
    created = timezone.now() - dt.timedelta(seconds=3595)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(created=created)
    _due(delivery)
    assert deliveries_send(delivery_ids=[delivery.id]) == {"pending": 1}
    delivery.refresh_from_db()
    assert delivery.next_attempt_at == created + dt.timedelta(seconds=3600)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        created=timezone.now() - dt.timedelta(seconds=3601)
    )
    _due(delivery)
    assert deliveries_send(delivery_ids=[delivery.id]) == {"failed": 1}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("failed", 3, 500)
    assert (delivery.last_error, delivery.locked_until) == ("HTTP 500", None)
    assert deliveries_sweep() == {}
    assert receiver.requests == 3


def test_an_endpoint_failing_n_times_is_disabled_with_an_event(
    platform, make_payee, receiver, second_receiver, settings
) -> None:
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    settings.WEBHOOK_DISABLE_AFTER_S = 0
    settings.WEBHOOK_RETRY_BASE_S = 60
    bad, _ = _endpoint(platform, receiver)
    good, _ = _endpoint(platform, second_receiver)
    receiver.mode = FAIL
    payee = make_payee()
    events = [_update(platform, payee, f"N{i}") for i in range(3)]
    assert deliveries_sweep() == {"pending": 3, "succeeded": 3}
    bad.refresh_from_db()
    assert (bad.status, bad.consecutive_failures) == ("disabled", 3)
    assert bad.disabled_reason == (
        "3 consecutive failed attempts over 0.0 hours; the last: HTTP 500"
    )
    assert bad.disabled_at is not None
    disabled = Event.objects.get(type="webhook_endpoint.disabled")
    fanned_out()
    assert (disabled.object_type, disabled.object_id, disabled.sequence) == (
        "webhook_endpoint",
        bad.id,
        1,
    )
    assert disabled.data == webhooks.endpoint_data(bad)
    assert disabled.data["status"] == "disabled"
    assert "whsec_" not in json.dumps(disabled.data)
    assert disabled.data["object"] == "webhook_endpoint"
    # Told to the endpoints still enabled; the disabled one's deliveries are paused.
    assert list(disabled.deliveries.values_list("endpoint_id", flat=True)) == [good.id]
    paused = list(WebhookDelivery.objects.filter(endpoint=bad).order_by("id"))
    window = dt.timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_S)
    assert [(d.status, d.attempts) for d in paused] == [("pending", 1)] * 3
    assert all(d.next_attempt_at == d.created + window for d in paused)
    assert deliveries_sweep() == {"succeeded": 1}
    assert [e["type"] for e in second_receiver.events("webhook_endpoint.")] == [
        "webhook_endpoint.disabled"
    ]
    _update(platform, payee, "while disabled")
    assert WebhookDelivery.objects.filter(endpoint=bad).count() == 3

    receiver.mode = "ok"
    webhooks.endpoint_update(platform=platform, endpoint_id=bad.id, status="enabled")
    bad.refresh_from_db()
    assert (bad.status, bad.consecutive_failures, bad.disabled_reason) == ("enabled", 0, "")
    assert bad.disabled_at is None
    assert deliveries_sweep() == {"succeeded": 4}  # bad's 3, and good's copy of the 4th
    assert sorted(receiver.event_ids()) == [e.id for e in events]


def test_rotation_signs_with_both_secrets_until_the_old_expires(
    platform, make_payee, receiver
) -> None:
    endpoint, old = _endpoint(platform, receiver)
    new = webhooks.endpoint_secret_rotate(platform=platform, endpoint_id=endpoint.id)
    assert old != new
    assert new.startswith("whsec_")
    assert len(new) == len("whsec_") + 43
    payee = make_payee()
    receiver.secrets = [old]  # a receiver that has not switched yet
    _update(platform, payee, "A")
    assert deliveries_sweep() == {"succeeded": 1}
    receiver.secrets = [new]  # one that has
    _update(platform, payee, "B")
    assert deliveries_sweep() == {"succeeded": 1}
    for got in receiver.received:
        header = got.headers["Payouts-Signature"]
        assert header.count("v1=") == 2
        verify(got.body, header, old)
        verify(got.body, header, new)

    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    receiver.secrets = [old]
    event = _update(platform, payee, "C")
    assert deliveries_sweep() == {"pending": 1}
    assert receiver.rejected == 1
    delivery = WebhookDelivery.objects.get(event=event)
    assert _attempts(delivery) == [(1, 400, "HTTP 400")]
    receiver.secrets = [new]
    _due(delivery)
    assert deliveries_sweep() == {"succeeded": 1}
    assert receiver.received[-1].headers["Payouts-Signature"].count("v1=") == 1

    newest = webhooks.endpoint_secret_rotate(
        platform=platform, endpoint_id=endpoint.id, expires_in_s=0
    )
    endpoint.refresh_from_db()
    assert webhooks.endpoint_secrets(endpoint) == [newest]
    for bad in (-1, 7 * 86400 + 1, "60", 1.5, True):
        with pytest.raises(InvalidInput) as caught:
            webhooks.endpoint_secret_rotate(
                platform=platform, endpoint_id=endpoint.id, expires_in_s=bad
            )
        assert caught.value.details["field"] == "expires_in_s"


def test_redelivery_sends_the_same_event_again(platform, make_payee, receiver) -> None:
    endpoint, _ = _endpoint(platform, receiver)
    event = _update(platform, make_payee(), "A")
    first = WebhookDelivery.objects.get(event=event)
    assert deliveries_sweep() == {"succeeded": 1}
    [again] = webhooks.event_redeliver(platform=platform, event_id=event.id)
    assert again.id != first.id
    assert (again.endpoint_id, again.status, again.attempts, again.is_redelivery) == (
        endpoint.id,
        "pending",
        0,
        True,
    )
    assert deliveries_sweep() == {"succeeded": 1}
    assert receiver.event_ids() == [event.id, event.id]
    assert receiver.received[0].body == receiver.received[1].body
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("succeeded", 1)
    [only] = webhooks.event_redeliver(platform=platform, event_id=event.id, endpoint_id=endpoint.id)
    assert only.is_redelivery

    other = PlatformFactory.create(currencies=["USD"])
    with pytest.raises(EventNotFound):
        webhooks.event_redeliver(platform=other, event_id=event.id)
    elsewhere, _ = webhooks.endpoint_create(platform=other, url=receiver.url)
    with pytest.raises(WebhookEndpointNotFound):
        webhooks.event_redeliver(platform=platform, event_id=event.id, endpoint_id=elsewhere.id)
    webhooks.endpoint_update(platform=platform, endpoint_id=endpoint.id, status="disabled")
    with pytest.raises(WebhookEndpointDisabled):
        webhooks.event_redeliver(platform=platform, event_id=event.id, endpoint_id=endpoint.id)
    assert webhooks.event_redeliver(platform=platform, event_id=event.id) == []


def test_a_deleted_endpoint_gets_nothing_more(platform, make_payee, receiver) -> None:
    endpoint, _ = _endpoint(platform, receiver)
    receiver.mode = FAIL
    payee = make_payee()
    pending = WebhookDelivery.objects.get(event=_update(platform, payee, "A"))
    assert deliveries_sweep() == {"pending": 1}
    deleted = webhooks.endpoint_delete(platform=platform, endpoint_id=endpoint.id)
    assert deleted.deleted_at is not None
    pending.refresh_from_db()
    assert (pending.status, pending.last_error, pending.attempts) == (
        "failed",
        "endpoint deleted",
        1,
    )
    _update(platform, payee, "B")
    assert WebhookDelivery.objects.filter(endpoint=endpoint).count() == 1
    _due(pending)
    assert deliveries_sweep() == {}
    assert receiver.requests == 1
    for call in (
        lambda: selectors.endpoint_get(platform=platform, endpoint_id=endpoint.id),
        lambda: webhooks.endpoint_delete(platform=platform, endpoint_id=endpoint.id),
        lambda: webhooks.endpoint_update(platform=platform, endpoint_id=endpoint.id, url=None),
        lambda: webhooks.endpoint_secret_rotate(platform=platform, endpoint_id=endpoint.id),
    ):
        with pytest.raises(WebhookEndpointNotFound) as caught:
            call()
        assert caught.value.code == "webhook_endpoint_not_found"


def test_a_short_outage_never_disables_an_endpoint(
    platform, make_payee, receiver, settings
) -> None:
    """Failures past the count alone are not enough: the endpoint must also have had no success
    for WEBHOOK_DISABLE_AFTER_S. A success in between starts the count and the clock again."""
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 2
    settings.WEBHOOK_DISABLE_AFTER_S = 3600
    settings.WEBHOOK_RETRY_BASE_S = 60
    endpoint, _ = _endpoint(platform, receiver)
    receiver.mode = FAIL
    payee = make_payee()
    for i in range(3):
        _update(platform, payee, f"S{i}")
    assert deliveries_sweep() == {"pending": 3}
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.consecutive_failures) == ("enabled", 3)
    first_failure = endpoint.failing_since
    assert first_failure is not None
    # An hour and more without a success: the next failure disables it.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        failing_since=first_failure - dt.timedelta(seconds=3600)
    )
    _update(platform, payee, "S3")
    assert deliveries_sweep() == {"pending": 1}
    endpoint.refresh_from_db()
    assert (endpoint.status, endpoint.consecutive_failures) == ("disabled", 4)
    assert endpoint.disabled_reason.startswith("4 consecutive failed attempts over 1.0 hours")
    assert (
        Event.objects.filter(type="webhook_endpoint.disabled", object_id=endpoint.id).count() == 1
    )
