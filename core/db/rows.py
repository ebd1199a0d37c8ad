"""Model instances read with hand-written SQL, for the few lookups on every API request where
building the ORM's query costs more than running it. The instances are the ORM's own (values
converted as it converts them), so callers cannot tell the difference."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, models

from core.db.names import table

ModelT = TypeVar("ModelT", bound=models.Model)


def columns(model: type[models.Model], alias: str = "") -> list[str]:
    prefix = f"{alias}." if alias else ""
    return [f"{prefix}{field.column}" for field in model._meta.concrete_fields]


def loaded(model: type[ModelT], values: Sequence[object]) -> ModelT:
    """An instance from its concrete columns' raw values, in ``columns`` order."""
    fields = model._meta.concrete_fields
    converted = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, values, strict=True)
    ]
    return model.from_db(DEFAULT_DB_ALIAS, [f.attname for f in fields], converted)


def select(model: type[ModelT], where: str, params: Sequence[Any]) -> list[ModelT]:
    """``SELECT <every column> FROM <model's table> WHERE <where>`` (``where`` is SQL written
    by the caller, values only through ``params``; it may end with ORDER BY or LIMIT)."""
    sql = f"SELECT {', '.join(columns(model))} FROM {table(model)} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return [loaded(model, row) for row in cursor.fetchall()]


def first(model: type[ModelT], where: str, params: Sequence[Any]) -> ModelT | None:
    found = select(model, f"{where} LIMIT 1", params)
    return found[0] if found else None
