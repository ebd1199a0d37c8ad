"""The journal: every posting of a book with its entry, counted or streamed (exports)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction

from ledger.models import Posting
from ledger.money import from_minor

JOURNAL_COLUMNS = (
    "entry_id",
    "effective_date",
    "recorded_at",
    "kind",
    "memo",
    "idempotency_key",
    "reverses_entry_id",
    "posting_id",
    "account_code",
    "account_type",
    "currency",
    "debit",
    "credit",
    "balance_after",
)


def journal_count(
    *, book_id: int, date_from: dt.date | None = None, date_to: dt.date | None = None
) -> int:
    """How many postings ``journal_rows`` will yield (for progress bars)."""
    query = Posting.objects.filter(book_id=book_id)
    if date_from:
        query = query.filter(effective_date__gte=date_from)
    if date_to:
        query = query.filter(effective_date__lte=date_to)
    return query.count()


def journal_rows(
    *,
    book_id: int,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    chunk_size: int = 5000,
) -> Iterator[tuple[Any, ...]]:
    """The book's postings with their entries, in entry order, as ``JOURNAL_COLUMNS`` tuples.

    Streams through a server-side cursor: memory stays flat whatever the book's size.
    """
    sql = """
        SELECT e.id, e.effective_date, e.recorded_at, e.kind, e.memo, e.idempotency_key,
               e.reverses_id, p.id, a.code, a.type, p.currency, p.direction, p.amount_minor,
               p.balance_after_minor
          FROM ledger_entry e
          JOIN ledger_posting p ON p.entry_id = e.id
          JOIN ledger_account a ON a.id = p.account_id
         WHERE e.book_id = %s
           AND (%s::date IS NULL OR e.effective_date >= %s::date)
           AND (%s::date IS NULL OR e.effective_date <= %s::date)
         ORDER BY e.id, p.id
    """
    params = [book_id, date_from, date_from, date_to, date_to]
    # Inside a transaction the server-side cursor streams from the first row (outside one, a
    # holdable cursor would materialise the whole result first).
    with transaction.atomic(), connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(chunk_size):
            for row in rows:
                *head, ccy, direction, amount_minor, balance_minor = row
                amount = from_minor(amount_minor, ccy)
                yield (
                    *head,
                    ccy,
                    amount if direction == "D" else None,
                    amount if direction == "C" else None,
                    from_minor(balance_minor, ccy),
                )
