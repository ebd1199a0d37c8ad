"""Events: what happened to a platform's objects, written with the change itself (the outbox).

``events_emit`` runs in the caller's transaction: it inserts the events, each with the next
sequence number of its object, and one pending ``WebhookDelivery`` per enabled, live endpoint of
the platform that subscribes to the event's type. After commit, ``webhooks.deliver`` is enqueued
for those deliveries; should that message be lost, ``webhooks.sweep`` finds them anyway. A rolled
back change therefore leaves no event and no delivery behind.

Sequences: an object's events count 1, 2, 3... in the order they were written. The next number
is read from the events already stored, so the caller must hold the object's row lock (payouts,
payees and batches are locked by the services that change them; a new object has no events yet).

Cost: one statement inserts every event of a call, however many; one query reads the endpoints of
every platform involved; one statement inserts the deliveries. The batch path calls it once per
chunk of payouts.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from celery import current_app
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from core.db.bulk import rows_insert
from core.db.names import table
from webhooks import registry
from webhooks.models import EndpointStatus, Event, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# How many deliveries one ``webhooks.deliver`` message carries.
DELIVER_CHUNK = 100


@dataclass(frozen=True)
class NewEvent:
    """An event to write: ``data`` is the object as its renderer shows it at this moment."""

    platform_id: int
    type: str
    object_type: str
    object_id: int
    data: dict[str, Any]


@dataclass(frozen=True)
class Emitted:
    event_ids: list[int]  # in the order of the events given
    delivery_ids: list[int]


def events_emit(events: Sequence[NewEvent]) -> Emitted:
    """Write these events and their deliveries in the caller's transaction, and enqueue the
    deliveries once it commits. Raises nothing expected: an unknown type is a bug (assertion),
    and a duplicate sequence means the caller did not lock the object (IntegrityError)."""
    if not events:
        return Emitted([], [])
    assert connection.in_atomic_block, "an event joins the transaction of the change it describes"
    unknown = {e.type for e in events if not registry.is_event_type(e.type)}
    assert not unknown, f"unknown event types {unknown}"
    event_ids = _events_insert(events)
    endpoints = _endpoints({e.platform_id for e in events})
    pairs = [
        (event_id, endpoint_id)
        for event, event_id in zip(events, event_ids, strict=True)
        for endpoint_id, types in endpoints.get(event.platform_id, ())
        if not types or event.type in types
    ]
    delivery_ids = deliveries_insert(pairs)
    return Emitted(event_ids=event_ids, delivery_ids=delivery_ids)


def deliveries_insert(
    pairs: Sequence[tuple[int, int]], *, is_redelivery: bool = False
) -> list[int]:
    """Insert a pending delivery per ``(event_id, endpoint_id)``, due now, in the caller's
    transaction, and enqueue them after commit. Returns their ids."""
    if not pairs:
        return []
    assert connection.in_atomic_block, "deliveries are written with their events"
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
    for start in range(0, len(ids), DELIVER_CHUNK):
        transaction.on_commit(partial(deliver_enqueue, ids[start : start + DELIVER_CHUNK]))
    return ids


def deliver_enqueue(delivery_ids: list[int]) -> None:
    """Send ``webhooks.deliver`` for these deliveries. A broker hiccup is only logged: the
    deliveries are stored and due, so the sweeper sends them."""
    try:
        current_app.send_task("webhooks.deliver", args=[delivery_ids])
    except BrokerError as exc:
        logger.warning("could not enqueue webhooks.deliver (the sweeper will): %s", exc)


def _events_insert(events: Sequence[NewEvent]) -> list[int]:
    """Insert the events in one statement, numbering each object's events on from its highest
    stored sequence; returns their ids in the order given."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table(Event)}
                   (platform_id, type, object_type, object_id, sequence, data, created)
            SELECT v.platform_id, v.type, v.object_type, v.object_id,
                   COALESCE((SELECT max(e.sequence) FROM {table(Event)} e
                              WHERE e.object_type = v.object_type
                                AND e.object_id = v.object_id), 0)
                   + row_number() OVER (PARTITION BY v.object_type, v.object_id ORDER BY v.ord),
                   v.data::jsonb, %s
              FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::bigint[], %s::text[])
                   WITH ORDINALITY AS v(platform_id, type, object_type, object_id, data, ord)
             ORDER BY v.ord
            RETURNING id, object_type, object_id, sequence
            """,
            [
                timezone.now(),
                [e.platform_id for e in events],
                [e.type for e in events],
                [e.object_type for e in events],
                [e.object_id for e in events],
                [_json(e.data) for e in events],
            ],
        )
        rows = cursor.fetchall()
    # Matched back by (object, sequence) rather than trusting RETURNING's order: an object's
    # events got their sequences in the order given.
    by_object: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
    for event_id, object_type, object_id, sequence in rows:
        by_object[(object_type, object_id)].append((sequence, event_id))
    for numbered in by_object.values():
        numbered.sort(reverse=True)
    return [by_object[(e.object_type, e.object_id)].pop()[1] for e in events]


def _json(data: dict[str, Any]) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder)


def _endpoints(platform_ids: Iterable[int]) -> dict[int, list[tuple[int, frozenset[str]]]]:
    """Per platform, its enabled and not deleted endpoints: (id, subscribed types; empty: all)."""
    found: dict[int, list[tuple[int, frozenset[str]]]] = defaultdict(list)
    # Hand-written: this runs with every payout created, and the ORM's query costs more to build.
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


def objects_emit(*, object_type: str, items: Sequence[tuple[Any, str]]) -> Emitted:
    """Emit ``(object, type)`` events for objects of one kind, each rendered now by the renderer
    registered for ``object_type`` (``webhooks.registry``). An object has ``id`` and
    ``platform_id``; the caller holds its row lock (or created it in this transaction)."""
    if not items:
        return Emitted([], [])
    data = registry.render(object_type, [obj for obj, _ in items])
    return events_emit(
        [
            NewEvent(
                platform_id=obj.platform_id,
                type=type_,
                object_type=object_type,
                object_id=obj.id,
                data=object_data,
            )
            for (obj, type_), object_data in zip(items, data, strict=True)
        ]
    )
