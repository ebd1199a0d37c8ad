"""Events: what happened to a platform's objects, written with the change itself.

``events_emit`` runs in the caller's transaction and writes only the events, each with the next
sequence number of its object. Each event is the outbox record of its own fan-out: once the
transaction commits, ``webhooks.fan_out`` creates its deliveries, one per enabled, live endpoint
of the platform that subscribes to its type (``webhooks.fanout``); should that message be lost,
``webhooks.sweep`` fans it out anyway. A rolled back change therefore leaves no event behind, and
the change's transaction costs the same however many endpoints the platform has.

Sequences: an object's events count 1, 2, 3... in the order they were written. The next number
is read from the events already stored, so the caller must hold the object's row lock (payouts,
payees and batches are locked by the services that change them; a new object has no events yet).

Cost: one statement inserts every event of a call, however many. The batch path calls it once
per chunk of payouts.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from core.db.names import table
from webhooks import registry
from webhooks.fanout import FAN_OUT_CHUNK, fan_out_enqueue
from webhooks.models import Event


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


def events_emit(events: Sequence[NewEvent]) -> Emitted:
    """Write these events in the caller's transaction, and have them fanned out to their
    deliveries once it commits. Raises nothing expected: an unknown type is a bug (assertion),
    and a duplicate sequence means the caller did not lock the object (IntegrityError)."""
    if not events:
        return Emitted([])
    assert connection.in_atomic_block, "an event joins the transaction of the change it describes"
    unknown = {e.type for e in events if not registry.is_event_type(e.type)}
    assert not unknown, f"unknown event types {unknown}"
    event_ids = _events_insert(events)
    for start in range(0, len(event_ids), FAN_OUT_CHUNK):
        transaction.on_commit(partial(fan_out_enqueue, event_ids[start : start + FAN_OUT_CHUNK]))
    return Emitted(event_ids=event_ids)


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


def objects_emit(*, object_type: str, items: Sequence[tuple[Any, str]]) -> Emitted:
    """Emit ``(object, type)`` events for objects of one kind, each rendered now by the renderer
    registered for ``object_type`` (``webhooks.registry``). An object has ``id`` and
    ``platform_id``; the caller holds its row lock (or created it in this transaction)."""
    if not items:
        return Emitted([])
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
