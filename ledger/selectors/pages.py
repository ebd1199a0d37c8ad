"""Pages of accounts and entries for the platform API (keyset, newest first), and account labels."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection

from ledger.models import Account, Entry, Posting
from ledger.selectors.books import (
    _account_infos,
    _entry_info,
)
from ledger.types import AccountInfo, EntryInfo


def _window(query: Any, *, id_below: int | None, id_above: int | None, limit: int) -> list[Any]:
    """Up to ``limit`` rows of ``query``, newest first: with ids below ``id_below``, or the ones
    just above ``id_above``."""
    if id_above is not None:
        rows = list(query.filter(pk__gt=id_above).order_by("id")[:limit])
        rows.reverse()
        return rows
    if id_below is not None:
        query = query.filter(pk__lt=id_below)
    return list(query.order_by("-id")[:limit])


def account_page(
    *,
    book_id: int,
    currency: str | None = None,
    code_prefix: str | None = None,
    id_below: int | None = None,
    id_above: int | None = None,
    limit: int = 20,
) -> list[AccountInfo]:
    """A book's accounts (shards folded into their parents, never listed), newest first; see
    ``_window`` for the paging arguments."""
    query = Account.objects.filter(book_id=book_id, parent__isnull=True)
    if currency:
        query = query.filter(currency=currency)
    if code_prefix:
        query = query.filter(code__startswith=code_prefix)
    return _account_infos(_window(query, id_below=id_below, id_above=id_above, limit=limit))


def entry_page(
    *,
    book_id: int,
    kind: str | None = None,
    recorded_from: dt.datetime | None = None,
    recorded_to: dt.datetime | None = None,
    id_below: int | None = None,
    id_above: int | None = None,
    limit: int = 20,
) -> list[EntryInfo]:
    """A book's entries with their postings, newest first; see ``_window`` for the paging
    arguments. ``recorded_from``/``recorded_to`` bound ``recorded_at`` (inclusive)."""
    query = Entry.objects.filter(book_id=book_id)
    if kind:
        query = query.filter(kind=kind)
    if recorded_from is not None:
        query = query.filter(recorded_at__gte=recorded_from)
    if recorded_to is not None:
        query = query.filter(recorded_at__lte=recorded_to)
    entries = _window(query, id_below=id_below, id_above=id_above, limit=limit)
    postings: dict[int, list[Posting]] = {}
    for posting in Posting.objects.filter(entry_id__in=[e.pk for e in entries]).order_by("id"):
        postings.setdefault(posting.entry_id, []).append(posting)
    return [_entry_info(entry, postings.get(entry.pk, [])) for entry in entries]


@dataclass(frozen=True)
class AccountLabel:
    """The account a posting is shown under: a shard's parent, or the account itself."""

    id: int
    code: str
    is_shard: bool


def account_labels(*, account_ids: list[int]) -> dict[int, AccountLabel]:
    """For each of ``account_ids``: the id and code of the account it belongs to (one query)."""
    if not account_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, coalesce(p.id, a.id), coalesce(p.code, a.code), a.parent_id IS NOT NULL
              FROM ledger_account a LEFT JOIN ledger_account p ON p.id = a.parent_id
             WHERE a.id = ANY(%s)
            """,
            [list(set(account_ids))],
        )
        return {row[0]: AccountLabel(row[1], row[2], row[3]) for row in cursor.fetchall()}
