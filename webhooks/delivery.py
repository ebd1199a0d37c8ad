"""Delivering events to webhook endpoints: claim, POST, record.

A delivery is claimed with a lease (``locked_until``, rows taken ``FOR UPDATE SKIP LOCKED``), so
any number of workers share the due deliveries and a worker that dies lets its lease lapse. The
POST happens outside any transaction or lock; then one short transaction logs the attempt
(``WebhookAttempt``: status code, latency, error, the start of the answer) and moves the
delivery on:

- a 2xx answer: ``succeeded``, and the endpoint's ``consecutive_failures`` goes back to 0;
- anything else (another status, a timeout, a refused connection): retried after an exponential
  backoff with jitter (``retry_delay_s``) until ``WEBHOOK_RETRY_WINDOW_S`` after the delivery was
  created, then ``failed``. The endpoint's ``consecutive_failures`` grows by one (and
  ``failing_since`` is set at the first); at ``WEBHOOK_DISABLE_AFTER_FAILURES`` failures with no
  success for ``WEBHOOK_DISABLE_AFTER_S``, the endpoint is disabled (its pending deliveries
  pause) and a ``webhook_endpoint.disabled`` event is emitted.

Delivery is at least once: a lease that lapses mid-POST, or a receiver that answers after our
timeout, means the same event may arrive twice. Receivers deduplicate by the event id.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.db.names import table
from webhooks import outbound, signing
from webhooks.claims import CLAIM_LIMIT, deliveries_claim
from webhooks.endpoints import (
    api_datetime,
    endpoint_disable,
    endpoint_secrets,
)
from webhooks.events import objects_emit
from webhooks.fanout import events_fan_out
from webhooks.models import (
    DeliveryStatus,
    EndpointStatus,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

logger = logging.getLogger(__name__)

USER_AGENT = "payouts-webhooks/1"
EXCERPT_CHARS = 500
SWEEP_MAX_S = 30


def retry_delay_s(attempts: int, *, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after a delivery's ``attempts``-th failed attempt: the base
    (``WEBHOOK_RETRY_BASE_S``) doubled per attempt, capped at ``WEBHOOK_RETRY_MAX_DELAY_S``,
    with equal jitter (half of it fixed, half random) so that the deliveries failed by one
    outage do not all come back at the same moment."""
    assert attempts >= 1
    ceiling = min(
        float(settings.WEBHOOK_RETRY_MAX_DELAY_S),
        float(settings.WEBHOOK_RETRY_BASE_S) * 2 ** min(attempts - 1, 60),
    )
    return ceiling / 2 + rand() * ceiling / 2


def event_body(event: Event) -> bytes:
    """The JSON body POSTed for an event: the same bytes for every delivery of it."""
    payload = {
        "id": event.id,
        "type": event.type,
        "created": api_datetime(event.created),
        "sequence": event.sequence,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "data": event.data,
    }
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class Request:
    """A delivery to POST; it is signed in ``post``, just before it is sent."""

    delivery_id: int
    event_id: int
    url: str
    body: bytes
    secrets: list[str]

    def headers(self) -> dict[str, str]:
        """The request's headers, signed now (``signing``)."""
        return {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Payouts-Event-Id": str(self.event_id),
            signing.HEADER: signing.sign(self.body, self.secrets, int(time.time())),
        }


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    latency_ms: int
    error: str
    excerpt: str

    @property
    def is_success(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class Recorded:
    """What became of a delivery after one attempt."""

    delivery_id: int
    status: str  # pending (to be retried), succeeded, failed
    attempts: int
    outcome: Outcome
    next_attempt_at: dt.datetime | None
    endpoint_disabled: bool


def _requests(delivery_ids: list[int]) -> list[Request]:
    """The requests of the deliveries still pending (one query), to be signed as each is sent:
    a claim's last request may leave well after its first."""
    now = timezone.now()
    deliveries = (
        WebhookDelivery.objects.select_related("event", "endpoint")
        .filter(pk__in=delivery_ids, status=DeliveryStatus.PENDING)
        .order_by("id")
    )
    return [
        Request(
            delivery_id=delivery.id,
            event_id=delivery.event_id,
            url=delivery.endpoint.url,
            body=event_body(delivery.event),
            secrets=endpoint_secrets(delivery.endpoint, now=now),
        )
        for delivery in deliveries
    ]


def post(request: Request) -> Outcome:
    """Sign and POST one request (no database, no lock; ``webhooks.outbound``), all of it within
    ``WEBHOOK_DELIVERY_DEADLINE_S``: its status code and the start of its answer, or why there
    was none, in words that say nothing of our network. Never raises for a network failure."""
    started = time.monotonic()
    status_code: int | None = None
    excerpt = b""
    error = ""
    try:
        answer = outbound.post(
            request.url,
            request.body,
            request.headers(),
            timeout_s=float(settings.WEBHOOK_TIMEOUT_S),
            deadline_s=float(settings.WEBHOOK_DELIVERY_DEADLINE_S),
            excerpt_bytes=EXCERPT_CHARS,
        )
    except outbound.Failed as exc:
        error = exc.reason
    else:
        status_code, excerpt = answer.status_code, answer.excerpt
    latency_ms = round((time.monotonic() - started) * 1000)
    if status_code is not None and not 200 <= status_code < 300:
        error = f"HTTP {status_code}"
    return Outcome(
        status_code=status_code,
        latency_ms=latency_ms,
        error=error[:500],
        excerpt=excerpt.decode("utf-8", "replace")[:EXCERPT_CHARS],
    )


def attempt_record(*, delivery_id: int, outcome: Outcome) -> Recorded:
    """Log one attempt and move the delivery (and its endpoint's failure count) on, in one
    short transaction; see the module docstring. A delivery that is no longer pending (another
    worker recorded it after our lease lapsed) gets the attempt logged and nothing else."""
    with transaction.atomic():
        endpoint_id = (
            WebhookDelivery.objects.filter(pk=delivery_id)
            .values_list("endpoint_id", flat=True)
            .get()
        )
        # Endpoint first, then delivery: the order every recorder locks in.
        endpoint = WebhookEndpoint.objects.select_for_update(no_key=True).get(pk=endpoint_id)
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        now = timezone.now()
        number = delivery.attempts + 1
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
        )
        if delivery.status != DeliveryStatus.PENDING:
            return Recorded(delivery.id, delivery.status, delivery.attempts, outcome, None, False)
        delivery.attempts = number
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        delivery.locked_until = None
        disabled = False
        if outcome.is_success:
            delivery.status = DeliveryStatus.SUCCEEDED
            delivery.delivered_at = now
            if endpoint.consecutive_failures:
                endpoint.consecutive_failures = 0
                endpoint.failing_since = None
                endpoint.save(update_fields=["consecutive_failures", "failing_since", "updated"])
        else:
            _failed(delivery, endpoint.status == EndpointStatus.ENABLED, now)
        delivery.save()
        if not outcome.is_success:
            disabled = _count_failure(endpoint, outcome)
    return Recorded(
        delivery.id,
        delivery.status,
        delivery.attempts,
        outcome,
        delivery.next_attempt_at if delivery.status == DeliveryStatus.PENDING else None,
        disabled,
    )


def _failed(delivery: WebhookDelivery, is_enabled: bool, now: dt.datetime) -> None:
    deadline = delivery.created + dt.timedelta(seconds=float(settings.WEBHOOK_RETRY_WINDOW_S))
    if now >= deadline:
        delivery.status = DeliveryStatus.FAILED
    elif not is_enabled:
        delivery.next_attempt_at = deadline  # paused with its endpoint
    else:
        delay = dt.timedelta(seconds=retry_delay_s(delivery.attempts))
        # The last attempt falls on the deadline itself.
        delivery.next_attempt_at = min(now + delay, deadline)


def _count_failure(endpoint: WebhookEndpoint, outcome: Outcome) -> bool:
    """Count a failed attempt against a locked endpoint. It is disabled (and
    ``webhook_endpoint.disabled`` emitted) once it has failed at least
    ``WEBHOOK_DISABLE_AFTER_FAILURES`` times in a row, with no success for at least
    ``WEBHOOK_DISABLE_AFTER_S``: a busy endpoint's short outage never disables it, and neither
    does a quiet endpoint's single bad hour. Returns whether it was disabled now."""
    now = timezone.now()
    endpoint.consecutive_failures += 1
    endpoint.failing_since = endpoint.failing_since or now
    failing_for = now - endpoint.failing_since
    if not (
        endpoint.status == EndpointStatus.ENABLED
        and endpoint.deleted_at is None
        and endpoint.consecutive_failures >= int(settings.WEBHOOK_DISABLE_AFTER_FAILURES)
        and failing_for.total_seconds() >= float(settings.WEBHOOK_DISABLE_AFTER_S)
    ):
        endpoint.save(update_fields=["consecutive_failures", "failing_since", "updated"])
        return False
    endpoint_disable(
        endpoint,
        reason=f"{endpoint.consecutive_failures} consecutive failed attempts over "
        f"{_duration(failing_for)}; the last: {outcome.error}",
    )
    endpoint.save()
    objects_emit(object_type="webhook_endpoint", items=[(endpoint, "webhook_endpoint.disabled")])
    logger.warning("webhook endpoint %s disabled: %s", endpoint.id, endpoint.disabled_reason)
    return True


def _duration(span: dt.timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} hours"


def _send(delivery_ids: list[int]) -> list[Recorded]:
    """POST claimed deliveries, ``WEBHOOK_CONCURRENCY`` at a time, recording each as its
    answer comes (records are written from this thread, so the pool needs no connections)."""
    assert not connection.in_atomic_block, "no network I/O inside a transaction"
    requests = _requests(delivery_ids)
    if len(requests) <= 1:
        return [attempt_record(delivery_id=r.delivery_id, outcome=post(r)) for r in requests]
    recorded = []
    workers = max(1, min(int(settings.WEBHOOK_CONCURRENCY), len(requests)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(post, r): r.delivery_id for r in requests}
        for future in as_completed(futures):
            recorded.append(attempt_record(delivery_id=futures[future], outcome=future.result()))
    return recorded


def _tally(recorded: list[Recorded]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in recorded:
        counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def deliveries_send(*, delivery_ids: list[int]) -> dict[str, int]:
    """Claim and send those of these deliveries that are pending, due and not leased (the rest
    are skipped, so a repeated call sends nothing twice). Returns how many ended in each
    status."""
    claimed = deliveries_claim(limit=len(delivery_ids), delivery_ids=delivery_ids)
    return _tally(_send(claimed))


def deliveries_sweep(*, limit: int = CLAIM_LIMIT) -> dict[str, int]:
    """Send every due delivery (claim after claim, for at most about ``SWEEP_MAX_S``), after
    fanning out the events still pending (their ``webhooks.fan_out`` was lost or is late) and
    settling the deliveries of disabled or deleted endpoints (see ``paused_settle``). Returns
    how many ended in each status."""
    events_fan_out()
    paused_settle()
    started = time.monotonic()
    recorded: list[Recorded] = []
    while True:
        claimed = deliveries_claim(limit=limit)
        recorded.extend(_send(claimed))
        if len(claimed) < limit or time.monotonic() - started > SWEEP_MAX_S:
            return _tally(recorded)


def paused_settle() -> int:
    """Deliveries due at an endpoint that is disabled or deleted (written as it was being
    disabled, or whose pause ran out): pushed to the end of their retry window, or ``failed``
    once it has passed. Returns how many failed."""
    window = float(settings.WEBHOOK_RETRY_WINDOW_S)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table(WebhookDelivery)} d
               SET status = CASE WHEN d.created + make_interval(secs => %s) <= now()
                                 THEN %s ELSE d.status END,
                   last_error = CASE WHEN d.created + make_interval(secs => %s) <= now()
                                     THEN 'endpoint disabled' ELSE d.last_error END,
                   next_attempt_at = GREATEST(d.created + make_interval(secs => %s),
                                              d.next_attempt_at),
                   locked_until = NULL
              FROM {table(WebhookEndpoint)} e
             WHERE e.id = d.endpoint_id AND d.status = %s AND d.next_attempt_at <= now()
               AND (e.status <> %s OR e.deleted_at IS NOT NULL)
            RETURNING d.status
            """,
            [
                window,
                DeliveryStatus.FAILED.value,
                window,
                window,
                DeliveryStatus.PENDING.value,
                EndpointStatus.ENABLED.value,
            ],
        )
        return sum(1 for (status,) in cursor.fetchall() if status == DeliveryStatus.FAILED)
