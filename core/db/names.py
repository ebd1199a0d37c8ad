"""Table names for hand-written SQL, taken from the models so a statement follows a table that
is renamed or moves app (and quoted, so no name is ever read as SQL)."""

from __future__ import annotations

from django.db import connection, models


def table(model: type[models.Model]) -> str:
    """The model's table, quoted: ``"payouts_payout"``."""
    return str(connection.ops.quote_name(model._meta.db_table))
