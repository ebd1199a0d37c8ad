"""Fan-out: an event's deliveries, created after the transaction that wrote the event commits.

A change's transaction (a payout's, say) writes only its events (``webhooks.events``); each
event is the outbox record of its own fan-out, pending while ``fanned_out_at`` is empty. After
the commit, ``webhooks.fan_out`` gets the new events' ids; should that message be lost, the sweep
(``webhooks.sweep``) fans out whatever is pending. So the change's transaction holds no lock on
the platform's endpoints and writes nothing per endpoint, however many the platform has.

``events_fan_out`` claims pending events (``FOR UPDATE SKIP LOCKED``, so a task and the sweep
never fan out one event twice; a unique index on event and endpoint would refuse it anyway),
writes one pending delivery per enabled, live endpoint of the event's platform that subscribes to
its type, as the endpoints are at that moment, marks the events fanned out and commits; then
``webhooks.deliver`` is sent with the delivery ids.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from functools import partial

from celery import current_app
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.db.bulk import rows_insert
from core.db.names import table
from webhooks.models import EndpointStatus, Event, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# How many deliveries one ``webhooks.deliver`` message carries, and events one fan-out claims.
DELIVER_CHUNK = 100
FAN_OUT_CHUNK = 500
SWEEP_MAX_S = 30


def fan_out_enqueue(event_ids: list[int]) -> None:
    """Send ``webhooks.fan_out`` for these committed events. A broker hiccup is only logged: the
    events are stored and pending, so the sweep fans them out."""
    try:
        current_app.send_task("webhooks.fan_out", args=[event_ids])
    except BrokerError as exc:
        logger.warning("could not enqueue webhooks.fan_out (the sweep will): %s", exc)


def events_fan_out(*, event_ids: list[int] | None = None, limit: int = FAN_OUT_CHUNK) -> int:
    """Create the deliveries of the pending events among ``event_ids`` (or of every pending
    event, claim after claim, for at most about ``SWEEP_MAX_S``), each claim in a transaction of
    its own, and send them once it commits. Events already fanned out, or being fanned out by
    another worker, are skipped. Returns how many events were fanned out."""
    started = time.monotonic()
    total = 0
    while True:
        done = _claim_and_fan_out(event_ids, limit)
        total += done
        if event_ids is not None or done < limit or time.monotonic() - started > SWEEP_MAX_S:
            return total


def _claim_and_fan_out(event_ids: list[int] | None, limit: int) -> int:
    among = "AND id = ANY(%s)" if event_ids is not None else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, platform_id, type FROM {table(Event)}"
            f" WHERE fanned_out_at IS NULL {among} ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
            [*([event_ids] if event_ids is not None else []), limit],
        )
        events = cursor.fetchall()
        if not events:
            return 0
        endpoints = _endpoints({platform_id for _, platform_id, _ in events})
        deliveries_insert(
            [
                (event_id, endpoint_id)
                for event_id, platform_id, type_ in events
                for endpoint_id, types in endpoints.get(platform_id, ())
                if not types or type_ in types
            ]
        )
        cursor.execute(
            f"UPDATE {table(Event)} SET fanned_out_at = %s WHERE id = ANY(%s)",
            [timezone.now(), [event_id for event_id, _, _ in events]],
        )
    return len(events)


def _endpoints(platform_ids: Iterable[int]) -> dict[int, list[tuple[int, frozenset[str]]]]:
    """Per platform, its enabled and not deleted endpoints: (id, subscribed types; empty: all)."""
    found: dict[int, list[tuple[int, frozenset[str]]]] = defaultdict(list)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, platform_id, event_types FROM {table(WebhookEndpoint)}"
            " WHERE platform_id = ANY(%s) AND status = %s AND deleted_at IS NULL ORDER BY id",
            [list(platform_ids), EndpointStatus.ENABLED.value],
        )
        found_rows = cursor.fetchall()
    for endpoint_id, platform_id, types in found_rows:
        found[platform_id].append((endpoint_id, frozenset(types)))
    return found


def deliveries_insert(
    pairs: Sequence[tuple[int, int]], *, is_redelivery: bool = False
) -> list[int]:
    """Insert a pending delivery per ``(event_id, endpoint_id)``, due now, in the caller's
    transaction, and enqueue them after commit. Returns their ids."""
    if not pairs:
        return []
    assert connection.in_atomic_block, "deliveries are written with their claim or request"
    now = timezone.now()
    count = len(pairs)
    ids = rows_insert(
        WebhookDelivery,
        count=count,
        columns={
            "event_id": [event_id for event_id, _ in pairs],
            "endpoint_id": [endpoint_id for _, endpoint_id in pairs],
            "next_attempt_at": [now] * count,
            "is_redelivery": [is_redelivery] * count,
        },
    )
    deliver_after_commit(ids)
    return ids


def deliver_after_commit(delivery_ids: list[int]) -> None:
    """Send ``webhooks.deliver`` for these deliveries, ``DELIVER_CHUNK`` per message, once the
    caller's transaction commits."""
    for start in range(0, len(delivery_ids), DELIVER_CHUNK):
        transaction.on_commit(partial(deliver_enqueue, delivery_ids[start : start + DELIVER_CHUNK]))


def deliver_enqueue(delivery_ids: list[int]) -> None:
    """Send ``webhooks.deliver`` for these deliveries. A broker hiccup is only logged: the
    deliveries are stored and due, so the sweeper sends them."""
    try:
        current_app.send_task("webhooks.deliver", args=[delivery_ids])
    except BrokerError as exc:
        logger.warning("could not enqueue webhooks.deliver (the sweeper will): %s", exc)
