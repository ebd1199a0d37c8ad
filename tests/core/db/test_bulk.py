"""core.db.bulk against PostgreSQL: one statement per call, ids in order, defaults and JSON as
bulk_create gives them, nothing for no rows, and bad input refused before or by the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.db.bulk import instances_insert, rows_insert, rows_update
from payouts.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _at() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


def test_rows_insert_returns_ids_in_order_in_one_statement() -> None:
    at = _at()
    with CaptureQueriesContext(connection) as queries:
        ids = rows_insert(
            OutboxMessage,
            count=3,
            columns={
                "kind": ["test.bulk"] * 3,  # the same for every row: sent once
                "object_id": [30, 10, 20],
                "payload": [{"n": 1}, {}, {"n": [3]}],
                "available_at": [at, at, at + dt.timedelta(seconds=1)],
            },
        )
    assert len(queries) == 1
    found = {m.pk: m for m in OutboxMessage.objects.filter(pk__in=ids)}
    assert [found[i].object_id for i in ids] == [30, 10, 20]
    assert [found[i].payload for i in ids] == [{"n": 1}, {}, {"n": [3]}]
    assert [found[i].available_at for i in ids] == [at, at, at + dt.timedelta(seconds=1)]
    # Fields not named get their defaults; auto_now_add gets now.
    assert {(found[i].attempts, found[i].last_error, found[i].locked_until) for i in ids} == {
        (0, "", None)
    }
    assert all(found[i].created >= at - dt.timedelta(seconds=1) for i in ids)


def test_no_rows_is_no_statement() -> None:
    with CaptureQueriesContext(connection) as queries:
        assert rows_insert(OutboxMessage, count=0, columns={}) == []
        assert instances_insert([]) == []
        assert rows_update(OutboxMessage, ids=[], columns={"attempts": []}) == 0
    assert len(queries) == 0


def test_rows_insert_of_defaults_only() -> None:
    # Every column the same (or defaulted): the rows come from generate_series.
    ids = rows_insert(
        OutboxMessage, count=2, columns={"kind": ["test.same"] * 2, "available_at": [_at()] * 2}
    )
    assert OutboxMessage.objects.filter(pk__in=ids, kind="test.same").count() == 2


def test_a_column_with_the_wrong_count_is_refused_before_the_database() -> None:
    with pytest.raises(AssertionError, match="object_id: 1 values, 2 rows"):
        rows_insert(
            OutboxMessage,
            count=2,
            columns={"kind": ["a", "b"], "object_id": [1], "available_at": [_at()] * 2},
        )
    with pytest.raises(AssertionError, match="attempts: 1 values for 2 rows"):
        rows_update(OutboxMessage, ids=[1, 2], columns={"attempts": [1]})


def test_a_value_the_column_refuses_writes_nothing() -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        rows_insert(
            OutboxMessage,
            count=2,
            columns={"kind": ["ok", "x" * 65], "available_at": [_at()] * 2},  # varchar(64)
        )
    with pytest.raises(DatabaseError), transaction.atomic():
        rows_insert(OutboxMessage, count=1, columns={"kind": ["no time"]})  # NOT NULL
    assert not OutboxMessage.objects.filter(kind__in=["ok", "no time"]).exists()


def test_instances_insert_sets_primary_keys_and_auto_now() -> None:
    at = _at()
    objs = [
        OutboxMessage(kind="test.inst", object_id=n, payload={"n": n}, available_at=at)
        for n in (1, 2)
    ]
    saved = instances_insert(objs)
    assert saved == objs
    assert all(o.pk is not None and o._state.adding is False for o in objs)
    assert all(o.created is not None for o in objs)
    stored = OutboxMessage.objects.in_bulk([o.pk for o in objs])
    assert [stored[o.pk].payload for o in objs] == [{"n": 1}, {"n": 2}]
    assert [stored[o.pk].created for o in objs] == [o.created for o in objs]


def test_rows_update_sets_each_rows_values_and_counts_what_it_updated() -> None:
    ids = rows_insert(
        OutboxMessage,
        count=3,
        columns={"kind": ["test.upd"] * 3, "object_id": [1, 2, 3], "available_at": [_at()] * 3},
    )
    with CaptureQueriesContext(connection) as queries:
        updated = rows_update(
            OutboxMessage,
            ids=[ids[2], ids[0], 10**12],  # an id of no row is skipped
            columns={"attempts": [7, 5, 1], "payload": [{"x": 1}, [], {}]},
        )
    assert len(queries) == 1
    assert updated == 2
    stored = OutboxMessage.objects.in_bulk(ids)
    assert [stored[i].attempts for i in ids] == [5, 0, 7]
    assert [stored[i].payload for i in ids] == [[], {}, {"x": 1}]
    # A value the column refuses (payload is NOT NULL) changes no row.
    with pytest.raises(DatabaseError), transaction.atomic():
        rows_update(OutboxMessage, ids=ids[:2], columns={"attempts": [9, 9], "payload": [{}, None]})
    assert [OutboxMessage.objects.get(pk=i).attempts for i in ids] == [5, 0, 7]
