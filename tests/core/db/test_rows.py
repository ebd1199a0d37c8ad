"""core.db.rows and core.db.names against PostgreSQL: instances read with hand-written SQL are
the ORM's own, values converted as the ORM converts them; no row, bad SQL and bad values."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core.db import rows
from core.db.names import table
from payouts.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


def _message(kind: str, object_id: int | None, **fields: object) -> OutboxMessage:
    return OutboxMessage.objects.create(
        kind=kind, object_id=object_id, available_at=timezone.now(), **fields
    )


def test_the_table_name_comes_from_the_model_quoted() -> None:
    assert table(OutboxMessage) == '"payouts_outboxmessage"'


def test_columns_follow_the_model_with_or_without_an_alias() -> None:
    names = [f.column for f in OutboxMessage._meta.concrete_fields]
    assert rows.columns(OutboxMessage) == names
    assert rows.columns(OutboxMessage, "m") == [f"m.{name}" for name in names]


def test_select_gives_the_instances_the_orm_gives() -> None:
    first = _message("test.rows", 1, payload={"a": [1, 2]}, attempts=2)
    second = _message("test.rows", 2, last_error="boom")
    _message("test.other", 3)

    found = rows.select(OutboxMessage, "kind = %s ORDER BY id", ["test.rows"])

    assert [m.pk for m in found] == [first.pk, second.pk]
    orm = list(OutboxMessage.objects.filter(kind="test.rows").order_by("id"))
    for read, expected in zip(found, orm, strict=True):
        for field in OutboxMessage._meta.concrete_fields:
            assert getattr(read, field.attname) == getattr(expected, field.attname)
    assert found[0].payload == {"a": [1, 2]}  # JSON decoded, as from_db_value does
    assert isinstance(found[0].created, dt.datetime)
    assert found[0].created.tzinfo is not None
    assert found[0]._state.adding is False  # a loaded instance: save() updates it
    found[0].attempts = 3
    found[0].save(update_fields=["attempts"])
    assert OutboxMessage.objects.get(pk=first.pk).attempts == 3


def test_no_row_is_an_empty_list_and_first_none() -> None:
    assert rows.select(OutboxMessage, "kind = %s", ["test.none"]) == []
    assert rows.first(OutboxMessage, "kind = %s", ["test.none"]) is None


def test_first_takes_the_first_in_the_callers_order() -> None:
    _message("test.first", 5)
    later = _message("test.first", 9)
    found = rows.first(OutboxMessage, "kind = %s ORDER BY object_id DESC", ["test.first"])
    assert found is not None
    assert found.pk == later.pk


def test_values_travel_as_parameters_never_as_sql() -> None:
    _message("test.param", 1)
    hostile = "test.param' OR '1'='1"
    assert rows.select(OutboxMessage, "kind = %s", [hostile]) == []
    assert len(rows.select(OutboxMessage, "kind = %s", ["test.param"])) == 1


def test_bad_sql_or_a_value_of_the_wrong_type_is_a_database_error() -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.select(OutboxMessage, "no_such_column = %s", [1])
    with pytest.raises(DatabaseError), transaction.atomic():
        rows.select(OutboxMessage, "object_id = %s", ["not a number"])


def test_loaded_refuses_values_that_do_not_match_the_columns() -> None:
    message = _message("test.loaded", 1, payload={"k": "v"})
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(rows.columns(OutboxMessage))} FROM {table(OutboxMessage)}"
            " WHERE id = %s",
            [message.pk],
        )
        values = cursor.fetchone()
    assert rows.loaded(OutboxMessage, values).payload == {"k": "v"}
    assert rows.loaded(OutboxMessage, values).pk == message.pk
    with pytest.raises(ValueError, match="zip"):
        rows.loaded(OutboxMessage, values[:-1])
