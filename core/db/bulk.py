"""Set-based writes: thousands of rows in one statement, cheaply (batches, chunks of payouts).

A 100,000-item batch writes half a million rows (items, payouts, transitions). Django's
``bulk_create`` spends most of its time preparing each value of each instance, and
``bulk_update`` writes a CASE per row and field: seconds per ten thousand rows either way. Here
each column travels as one array (``unnest``), so a statement has one parameter per column and
the values are read straight off the instances. Constraints and triggers apply exactly as to any
other insert or update.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from django.db import connection, models
from django.utils import timezone

from core.db.names import table

M = TypeVar("M", bound=models.Model)


def _db_type(field: Any) -> str:
    if isinstance(field, models.JSONField):
        return "jsonb"
    db_type = field.db_type(connection)
    assert db_type, f"{field} has no column"
    # varchar rather than varchar(32): a value too long fails at the column, never silently.
    return str(db_type).split("(")[0]


def _value(field: Any, value: Any) -> Any:
    if isinstance(field, models.JSONField):
        return None if value is None else json.dumps(value)
    # Choices members are str (or int) subclasses; send the plain value.
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    return value


def _array(field: Any, values: list[Any]) -> tuple[str, str, list[Any]]:
    """(placeholder, cast, values) for one column sent as an array."""
    db_type = _db_type(field)
    if db_type == "jsonb":  # sent as text: psycopg would wrap each value otherwise
        return "%s::text[]", "::jsonb", [_value(field, v) for v in values]
    return f"%s::{db_type}[]", "", [_value(field, v) for v in values]


def _column(field: Any) -> str:
    assert field.column, f"{field} has no column"
    return str(connection.ops.quote_name(field.column))


def _is_auto_now(field: Any) -> bool:
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def instances_insert(objs: Sequence[M]) -> list[M]:
    """Insert unsaved instances of one model in one statement and set their primary keys (in
    order). Values are taken as they are set on the instances, so they must be ready for the
    database (no expressions); ``auto_now`` and ``auto_now_add`` fields are set to now."""
    if not objs:
        return []
    model = type(objs[0])
    now = timezone.now()
    columns: dict[str, list[object]] = {}
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if _is_auto_now(field):
            for obj in objs:
                setattr(obj, field.attname, now)
            columns[field.attname] = [now] * len(objs)
        else:
            columns[field.attname] = [getattr(o, field.attname) for o in objs]
    ids = rows_insert(model, count=len(objs), columns=columns)
    for obj, pk_value in zip(objs, ids, strict=True):
        obj.pk = pk_value
        obj._state.adding = False
    return list(objs)


def rows_insert(
    model: type[models.Model], *, count: int, columns: Mapping[str, Sequence[object]]
) -> list[int]:
    """Insert ``count`` rows without model instances; returns their ids, in order.

    ``columns`` maps a field's attribute name to its ``count`` values, ready for the database
    (ints, strings, aware datetimes, None; JSON as Python objects). A field not named gets its
    default (``auto_now`` fields: now), as ``bulk_create`` would give it."""
    if count == 0:
        return []
    now = timezone.now()
    names: list[str] = []
    selects: list[str] = []
    scalars: list[Any] = []
    arrays: list[str] = []
    params: list[Any] = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.attname in columns:
            values = list(columns[field.attname])
            assert len(values) == count, f"{field.attname}: {len(values)} values, {count} rows"
        else:
            values = [now if _is_auto_now(field) else field.get_default()]
        names.append(_column(field))
        if values.count(values[0]) == len(values):
            # The same for every row (the batch, the currency, ...): sent once.
            selects.append(f"%s::{_db_type(field)}")
            scalars.append(_value(field, values[0]))
            continue
        placeholder, cast, prepared = _array(field, values)
        selects.append(f"v.c{len(arrays)}{cast}")
        arrays.append(placeholder)
        params.append(prepared)
    pk = _column(model._meta.pk)
    if arrays:
        aliases = ", ".join(f"c{i}" for i in range(len(arrays)))
        source = f"unnest({', '.join(arrays)}) AS v({aliases})"
    else:
        source, params = "generate_series(1, %s)", [count]
    sql = (
        f"INSERT INTO {table(model)} ({', '.join(names)}) SELECT {', '.join(selects)} "
        f"FROM {source} RETURNING {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*scalars, *params])
        ids = [row[0] for row in cursor.fetchall()]
    assert len(ids) == count
    return ids


def rows_update(
    model: type[models.Model], *, ids: list[int], columns: Mapping[str, list[Any]]
) -> int:
    """Set per-row values (``columns`` maps attribute names to one value per id) in one
    statement; returns how many rows it updated."""
    if not ids:
        return 0
    fields = {f.attname: f for f in model._meta.concrete_fields}
    pk_field = model._meta.pk
    placeholder, _, values = _array(pk_field, ids)
    placeholders, params, sets = [placeholder], [values], []
    for index, (name, column) in enumerate(columns.items()):
        field = fields[name]
        placeholder, cast, values = _array(field, column)
        assert len(values) == len(ids), f"{name}: {len(values)} values for {len(ids)} rows"
        placeholders.append(placeholder)
        params.append(values)
        sets.append(f"{_column(field)} = v.c{index}{cast}")
    aliases = ", ".join(["pk", *(f"c{i}" for i in range(len(columns)))])
    sql = (
        f"UPDATE {table(model)} AS t SET {', '.join(sets)} FROM unnest({', '.join(placeholders)}) "
        f"AS v({aliases}) WHERE t.{_column(pk_field)} = v.pk"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
