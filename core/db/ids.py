"""Primary keys taken before the insert, for rows whose values depend on their own id (a token
bound to its row: ``core.crypto``)."""

from __future__ import annotations

from django.db import connection, models

from core.db.names import table


def ids_reserve(model: type[models.Model], count: int = 1) -> list[int]:
    """``count`` fresh ids from the sequence behind ``model``'s primary key, ascending.

    The row is then inserted with its id given. An id taken and never used is a gap, as a
    rolled-back insert leaves one; the sequence never hands it out again, so two callers never
    get the same id.
    """
    assert count >= 0
    if count == 0:
        return []
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table(model), column, count],
        )
        return sorted(row[0] for row in cursor.fetchall())
