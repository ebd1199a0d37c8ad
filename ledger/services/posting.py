"""Posting entries: one entry, a batch, or the reversal of an entry.

The hot path is one SQL statement (``ledger_post_entries``, from migration ``ledger.0004``): it
locks the accounts in ascending id order, computes each posting's running balance from the
locked rows, checks floors and closed periods, and inserts the entries and postings, or nothing.
Outside a transaction that statement commits on its own, so the account locks are held for one
statement, not a round trip more: hot accounts (fees, in transit) see as little contention as
the database allows.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from django.db import connection
from django.db.utils import DatabaseError

from core.errors import require_id
from ledger import errors
from ledger.selectors import entry_get
from ledger.services.entry_checks import (
    MAX_KIND_LENGTH,
    prepare,
)
from ledger.services.post_statement import Retry, post_prepared
from ledger.types import EntryInfo, EntrySpec, Line

T = TypeVar("T")

# Lock ordering rules out deadlocks between our own writers; these retries cover what remains
# (a key taken by a concurrent batch, serialization failures) so callers never see it.
TRANSIENT_RETRIES = 5
STALE_RUNNING_BALANCE = "LD001"  # SQLSTATE raised by ledger_postings_apply

_TRANSIENT = (
    psycopg.errors.DeadlockDetected,
    psycopg.errors.SerializationFailure,
    psycopg.errors.LockNotAvailable,
)


def entry_post(
    *,
    book_id: int,
    kind: str,
    lines: Sequence[Line],
    idempotency_key: str,
    effective_date: dt.date | None = None,
    memo: str = "",
    metadata: dict[str, Any] | None = None,
    refs: dict[str, Any] | None = None,
) -> EntryInfo:
    """Post one balanced entry and move its accounts' balances, atomically.

    The same ``idempotency_key`` with the same content returns the original entry
    (``replayed=True``); with different content it raises ``IdempotencyConflict`` naming what
    differs. Other errors: ``InvalidEntry``, ``InvalidAmount``, ``AccountNotFound``,
    ``CrossBookPosting``, ``CurrencyMismatch``, ``UnbalancedEntry``, ``PeriodClosed``,
    ``BelowFloor``. On any error nothing is written.
    """
    spec = EntrySpec(
        book_id=book_id,
        kind=kind,
        lines=lines,
        idempotency_key=idempotency_key,
        effective_date=effective_date,
        memo=memo,
        metadata={} if metadata is None else metadata,
        refs={} if refs is None else refs,
    )
    return entries_post(entries=[spec])[0]


def entries_post(*, entries: Sequence[EntrySpec]) -> list[EntryInfo]:
    """Post many entries at once: all of them, or none (a batch), in one statement.

    Each entry follows the rules of ``entry_post``, and later entries see the balances left by
    earlier ones. Results come back in input order.
    """
    if not entries:
        return []
    prepared = [prepare(spec) for spec in entries]
    return _run(lambda: post_prepared(prepared))


def entry_reverse(
    *,
    entry_id: int,
    idempotency_key: str | None = None,
    effective_date: dt.date | None = None,
    memo: str = "",
) -> EntryInfo:
    """Post the mirror image of an entry, linked to it; an entry is reversed at most once.

    The reversal is dated ``effective_date`` (today by default), so it can correct an entry in a
    closed period. Raises ``EntryNotFound``, ``AlreadyReversed`` (a replay with the same key
    returns the existing reversal), ``PeriodClosed`` and ``BelowFloor``.
    """
    original = entry_get(entry_id=require_id(entry_id, "entry_id"))
    if original is None:
        raise errors.EntryNotFound(f"entry {entry_id} does not exist", entry_id=entry_id)
    key = idempotency_key or f"reversal:{entry_id}"
    spec = EntrySpec(
        book_id=original.book_id,
        kind=f"{original.kind}.reversal"[:MAX_KIND_LENGTH],
        lines=[
            Line(
                account_id=p.account_id,
                direction=p.direction.opposite,
                amount_minor=p.amount_minor,
            )
            for p in original.postings
        ],
        idempotency_key=key,
        effective_date=effective_date,
        memo=memo or f"Reversal of entry {entry_id}",
        refs={**original.refs, "reverses_entry": entry_id},
    )
    prepared = prepare(spec)
    prepared.reverses_id = entry_id

    def post_reversal() -> EntryInfo:
        existing = entry_get(reversed_by_of=entry_id)
        if existing is not None and existing.idempotency_key != key:
            raise errors.AlreadyReversed(
                f"entry {entry_id} was already reversed by entry {existing.id}",
                entry_id=entry_id,
                reversal_id=existing.id,
            )
        return post_prepared([prepared])[0]

    try:
        return _run(post_reversal)
    except DatabaseError as exc:
        if isinstance(exc.__cause__, psycopg.errors.UniqueViolation) and (
            exc.__cause__.diag.constraint_name == "ledger_entry_reverses_id_key"
        ):
            # A concurrent reversal under another key won the race.
            winner = entry_get(reversed_by_of=entry_id)
            raise errors.AlreadyReversed(
                f"entry {entry_id} was already reversed",
                entry_id=entry_id,
                reversal_id=None if winner is None else winner.id,
            ) from None
        raise


# --- running the statement ---


def _run(fn: Callable[[], T]) -> T:
    """Run ``fn`` in the caller's transaction, or on its own with retries for transient
    conflicts. ``fn`` issues one writing statement, so outside a transaction it needs none."""
    if connection.in_atomic_block:
        return fn()
    for attempt in range(TRANSIENT_RETRIES):
        try:
            return fn()
        except DatabaseError as exc:
            if not isinstance(exc.__cause__, _TRANSIENT) and not _is_stale(exc):
                raise
            if attempt == TRANSIENT_RETRIES - 1:
                raise
        except Retry:
            if attempt == TRANSIENT_RETRIES - 1:
                raise
        time.sleep(0.002 * (attempt + 1))
    raise AssertionError("unreachable")


def _is_stale(exc: DatabaseError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == STALE_RUNNING_BALANCE
