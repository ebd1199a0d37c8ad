"""The posting statement: one call of ``ledger_post_entries`` for checked entries, and what it
returns read into ``EntryInfo``s; replays of stored keys are compared with what is posted again."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import replace
from typing import Any, NamedTuple

import psycopg
import psycopg.errors
from django.db import connection
from psycopg.rows import class_row

from ledger import errors
from ledger.money import from_minor
from ledger.selectors import entry_get_by_key
from ledger.services.entry_checks import (
    AccountMeta,
    Prepared,
    accounts_meta,
    check,
    route_to_shards,
)
from ledger.types import EntryInfo, PostingInfo

# ledger_post_entries is defined by migration ledger.0004 (0004_post_entries_named_columns.sql).
_POST_SQL = "SELECT * FROM ledger_post_entries(%s::jsonb, %s::jsonb, %s::bigint[])"


# --- the statement ---


class Retry(Exception):
    """A concurrent writer took one of our keys after our statement's snapshot."""


class _Row(NamedTuple):
    """A row of ``ledger_post_entries``, read by column name: a new entry, one of its postings,
    or the problem that stopped the statement. A column that is not of the row's kind is None."""

    row_kind: str  # "entry", "posting" or "problem"
    entry_id: int
    book_id: int
    idempotency_key: str
    recorded_at: dt.datetime
    posting_id: int
    account_id: int
    balance_after_minor: int
    version_after: int
    currency: str
    ordinal: int
    balance_before_minor: int
    floor_minor: int
    problem: str
    closed_through: dt.date


def post_prepared(prepared: list[Prepared]) -> list[EntryInfo]:
    accounts = accounts_meta({account_id for item in prepared for account_id, _ in item.lines})
    shard_ids: set[int] = set()
    for item in prepared:
        shard_ids |= route_to_shards(item, accounts)
    if shard_ids:
        accounts |= accounts_meta(shard_ids)
    for item in prepared:
        check(item, accounts)
    fresh = _distinct(prepared)

    entries_json, lines_json = _payload(fresh)
    connection.ensure_connection()
    # A server-side-binding cursor on Django's own connection: the statement is prepared once
    # per connection.
    with psycopg.Cursor(connection.connection, row_factory=class_row(_Row)) as cursor:
        account_ids = sorted({account_id for item in fresh for account_id, _ in item.lines})
        try:
            cursor.execute(_POST_SQL, [entries_json, lines_json, account_ids], prepare=True)
        except psycopg.errors.NumericValueOutOfRange:
            # Every amount fits (check() bounds them), so only a balance can have overflowed.
            # Inside the caller's transaction the statement has aborted it: the caller must
            # roll back (or have posted in a savepoint), as for any error of the statement.
            codes = sorted({accounts[a].code for item in fresh for a, _ in item.lines})
            raise errors.BalanceOutOfRange(
                "this entry would take a balance past what the ledger can hold",
                account_codes=codes,
            ) from None
        rows = cursor.fetchall()

    by_key = {(item.spec.book_id, item.spec.idempotency_key): item for item in fresh}
    postings_by_entry: dict[int, list[_Row]] = defaultdict(list)
    results: dict[tuple[int, str], EntryInfo] = {}
    problem = None
    for row in rows:
        if row.row_kind == "posting":
            postings_by_entry[row.entry_id].append(row)
        elif row.row_kind == "problem":
            problem = row
    for row in rows:
        if row.row_kind == "entry":
            item = by_key[(row.book_id, row.idempotency_key)]
            results[(row.book_id, row.idempotency_key)] = _fresh_info(
                row.entry_id, row.recorded_at, item, postings_by_entry[row.entry_id]
            )
    if problem is not None:
        _raise_problem(problem, fresh, accounts)

    for item in prepared:
        key = (item.spec.book_id, item.spec.idempotency_key)
        if key in results:
            continue
        original = entry_get_by_key(book_id=key[0], idempotency_key=key[1])
        if original is None:
            # Our statement skipped the key as taken, yet it is gone: a rolled-back writer.
            raise Retry
        _raise_if_different(original, _content(item))
        results[key] = replace(original, replayed=True)
    return [results[(item.spec.book_id, item.spec.idempotency_key)] for item in prepared]


def _payload(fresh: list[Prepared]) -> tuple[str, str]:
    """The statement's two parameters, as JSON arrays of rows: entries
    ``[ordinal, book_id, kind, memo, date, key, metadata, refs, reverses_id, line_count]`` and
    lines ``[ordinal, line_no, account_id, direction, amount_minor]``. One JSON document travels
    and parses faster than fifteen arrays."""
    entries: list[str] = []
    lines: list[str] = []
    dumps = json.dumps
    for ordinal, item in enumerate(fresh):
        spec = item.spec
        entries.append(
            f"[{ordinal},{spec.book_id},{dumps(spec.kind)},{dumps(spec.memo)},"
            f'"{item.effective_date.isoformat()}",{dumps(spec.idempotency_key)},'
            f"{item.metadata_json},{item.refs_json},{dumps(item.reverses_id)},{len(item.lines)}]"
        )
        for line_no, (account_id, line) in enumerate(item.lines):
            lines.append(
                f'[{ordinal},{line_no},{account_id},"{line.direction.value}",{line.amount_minor}]'
            )
    return f"[{','.join(entries)}]", f"[{','.join(lines)}]"


def _raise_problem(row: _Row, fresh: list[Prepared], accounts: dict[int, AccountMeta]) -> None:
    item = fresh[row.ordinal]
    if row.problem == "period_closed":
        closed = row.closed_through
        raise errors.PeriodClosed(
            f"book {item.spec.book_id} is closed through {closed}; "
            f"the entry is dated {item.effective_date}",
            book_id=item.spec.book_id,
            closed_through=closed.isoformat(),
            effective_date=item.effective_date.isoformat(),
        )
    account = accounts[row.account_id]
    currency = account.currency
    raise errors.BelowFloor(
        f"account {account.code} would go to {from_minor(row.balance_after_minor, currency)} "
        f"{currency}, below its floor of {from_minor(row.floor_minor, currency)}",
        account_id=row.account_id,
        account_code=account.code,
        currency=currency,
        balance=str(from_minor(row.balance_before_minor, currency)),
        floor=str(from_minor(row.floor_minor, currency)),
    )


def _distinct(prepared: list[Prepared]) -> list[Prepared]:
    """Each key once; a key repeated with other content raises ``IdempotencyConflict``."""
    seen: dict[tuple[int, str], Prepared] = {}
    for item in prepared:
        key = (item.spec.book_id, item.spec.idempotency_key)
        if key in seen:
            first = seen[key]
            differences = [n for n, v in _content(first).items() if v != _content(item)[n]]
            if differences:
                raise errors.IdempotencyConflict(
                    f"idempotency key {key[1]!r} is used twice with different "
                    f"{', '.join(differences)}",
                    idempotency_key=key[1],
                    differences=differences,
                )
            continue
        seen[key] = item
    return list(seen.values())


def _by_id(row: _Row) -> int:
    # Postings take their ids in line order (the statement inserts them so).
    return row.posting_id


def _fresh_info(
    entry_id: int, recorded_at: dt.datetime, item: Prepared, rows: list[_Row]
) -> EntryInfo:
    """The new entry with its postings, which the statement returns in line order."""
    spec = item.spec
    postings = []
    for (account_id, line), row in zip(item.lines, sorted(rows, key=_by_id), strict=True):
        assert row.account_id == account_id, (entry_id, row.account_id, account_id)
        postings.append(
            PostingInfo(
                id=row.posting_id,
                account_id=account_id,
                currency=row.currency,
                direction=line.direction,
                amount_minor=line.amount_minor,
                balance_after_minor=row.balance_after_minor,
                version_after=row.version_after,
            )
        )
    return EntryInfo(
        id=entry_id,
        book_id=spec.book_id,
        kind=spec.kind,
        memo=spec.memo,
        effective_date=item.effective_date,
        recorded_at=recorded_at,
        idempotency_key=spec.idempotency_key,
        reverses_id=item.reverses_id,
        metadata=_loads(item.metadata_json),
        refs=_loads(item.refs_json),
        postings=tuple(postings),
    )


def _loads(document: str) -> dict[str, Any]:
    loaded: dict[str, Any] = {} if document == "{}" else json.loads(document)
    return loaded


# --- idempotency ---


def _content(item: Prepared) -> dict[str, Any]:
    return {
        "kind": item.spec.kind,
        "memo": item.spec.memo,
        "effective_date": item.spec.effective_date,
        "metadata": json.loads(item.metadata_json),
        "refs": json.loads(item.refs_json),
        "reverses_id": item.reverses_id,
        "lines": sorted(
            (account_id, line.direction, line.amount_minor) for account_id, line in item.lines
        ),
    }


def _raise_if_different(original: EntryInfo, content: dict[str, Any]) -> None:
    stored = {
        "kind": original.kind,
        "memo": original.memo,
        "effective_date": original.effective_date,
        "metadata": original.metadata,
        "refs": original.refs,
        "reverses_id": original.reverses_id,
        "lines": sorted((p.account_id, p.direction, p.amount_minor) for p in original.postings),
    }
    differences = [
        name
        for name, value in content.items()
        # An entry posted without a date took the date of its day; a replay need not repeat it.
        if not (name == "effective_date" and value is None) and stored[name] != value
    ]
    if differences:
        raise errors.IdempotencyConflict(
            f"idempotency key {original.idempotency_key!r} was used for entry {original.id} "
            f"with different {', '.join(differences)}",
            idempotency_key=original.idempotency_key,
            entry_id=original.id,
            differences=differences,
        )
