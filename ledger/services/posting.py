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
import json
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, NamedTuple, TypeVar

import psycopg
import psycopg.errors
from django.db import connection
from django.db.utils import DatabaseError
from django.utils import timezone
from psycopg.rows import class_row

from core.errors import require_id
from ledger import errors
from ledger.money import from_minor
from ledger.selectors import entry_get, entry_get_by_key
from ledger.types import Direction, EntryInfo, EntrySpec, Line, PostingInfo

T = TypeVar("T")

MAX_KIND_LENGTH = 64
MAX_KEY_LENGTH = 255
MAX_LINES = 1000
# Lock ordering rules out deadlocks between our own writers; these retries cover what remains
# (a key taken by a concurrent batch, serialization failures) so callers never see it.
TRANSIENT_RETRIES = 5
ACCOUNT_CACHE_MAX = 200_000
STALE_RUNNING_BALANCE = "LD001"  # SQLSTATE raised by ledger_postings_apply

# ledger_post_entries is defined by migration ledger.0004 (0004_post_entries_named_columns.sql).
_POST_SQL = "SELECT * FROM ledger_post_entries(%s::jsonb, %s::jsonb, %s::bigint[])"
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
    prepared = [_prepare(spec) for spec in entries]
    return _run(lambda: _post(prepared))


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
    prepared = _prepare(spec)
    prepared.reverses_id = entry_id

    def post_reversal() -> EntryInfo:
        existing = entry_get(reversed_by_of=entry_id)
        if existing is not None and existing.idempotency_key != key:
            raise errors.AlreadyReversed(
                f"entry {entry_id} was already reversed by entry {existing.id}",
                entry_id=entry_id,
                reversal_id=existing.id,
            )
        return _post([prepared])[0]

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


class _Retry(Exception):
    """A concurrent writer took one of our keys after our statement's snapshot."""


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
        except _Retry:
            if attempt == TRANSIENT_RETRIES - 1:
                raise
        time.sleep(0.002 * (attempt + 1))
    raise AssertionError("unreachable")


def _is_stale(exc: DatabaseError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == STALE_RUNNING_BALANCE


# --- validation without the database ---


@dataclass
class _Prepared:
    spec: EntrySpec
    effective_date: dt.date
    lines: list[tuple[int, Line]]  # (the account posted to: the line's, or one of its shards)
    metadata_json: str
    refs_json: str
    reverses_id: int | None = None


def _json_object(value: object, name: str) -> str:
    if not isinstance(value, dict):
        raise errors.InvalidEntry(f"{name} must be a JSON object", field=name)
    if not value:
        return "{}"
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise errors.InvalidEntry(f"{name} is not JSON-serialisable: {exc}", field=name) from None


def _prepare(spec: EntrySpec) -> _Prepared:
    """Validate what can be validated without the database."""
    if not isinstance(spec, EntrySpec):
        raise errors.InvalidEntry("entries must be EntrySpec objects", field="entries")
    kind = spec.kind if isinstance(spec.kind, str) else ""
    if not kind.strip() or len(kind) > MAX_KIND_LENGTH:
        raise errors.InvalidEntry(f"kind is 1 to {MAX_KIND_LENGTH} characters", field="kind")
    key = spec.idempotency_key if isinstance(spec.idempotency_key, str) else ""
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise errors.InvalidEntry(
            f"idempotency_key is 1 to {MAX_KEY_LENGTH} characters", field="idempotency_key"
        )
    if not isinstance(spec.book_id, int) or isinstance(spec.book_id, bool) or spec.book_id <= 0:
        raise errors.InvalidEntry("book_id must be a positive integer id", field="book_id")
    if not isinstance(spec.memo, str):
        raise errors.InvalidEntry("memo must be text", field="memo")
    effective_date = spec.effective_date or timezone.localdate()
    if not isinstance(effective_date, dt.date) or isinstance(effective_date, dt.datetime):
        raise errors.InvalidEntry("effective_date must be a date", field="effective_date")
    lines = list(spec.lines) if isinstance(spec.lines, Iterable) else []
    if len(lines) < 2 or len(lines) > MAX_LINES:
        raise errors.InvalidEntry(
            f"an entry has 2 to {MAX_LINES} lines, got {len(lines)}", field="lines"
        )
    checked: list[tuple[int, Line]] = []
    for index, line in enumerate(lines):
        if not isinstance(line, Line):
            raise errors.InvalidEntry(f"line {index} is not a Line", field="lines", line=index)
        account_id = line.account_id
        if not isinstance(account_id, int) or isinstance(account_id, bool) or account_id <= 0:
            raise errors.InvalidEntry(
                f"line {index}: account_id must be a positive integer id", field="lines", line=index
            )
        if line.direction is not Direction.DEBIT and line.direction is not Direction.CREDIT:
            raise errors.InvalidEntry(
                f"line {index}: direction must be Direction.DEBIT or Direction.CREDIT, "
                f"not {line.direction!r}",
                field="lines",
                line=index,
            )
        checked.append((line.account_id, line))
    return _Prepared(
        spec=spec,
        effective_date=effective_date,
        lines=checked,
        metadata_json=_json_object(spec.metadata, "metadata"),
        refs_json=_json_object(spec.refs, "refs"),
    )


# --- validation against the accounts ---


@dataclass(frozen=True)
class _AccountMeta:
    """What never changes about an account (the database refuses to change it)."""

    book_id: int
    currency: str
    code: str
    shard_ids: tuple[int, ...] = ()  # a sharded account's shards, in shard order


_account_cache: dict[int, _AccountMeta] = {}


def _accounts(account_ids: set[int]) -> dict[int, _AccountMeta]:
    missing = [account_id for account_id in account_ids if account_id not in _account_cache]
    if missing:
        if len(_account_cache) > ACCOUNT_CACHE_MAX:
            _account_cache.clear()
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT a.id, a.book_id, a.currency, a.code,
                       CASE WHEN a.shard_count > 1 THEN ARRAY(
                           SELECT s.id FROM ledger_account s WHERE s.parent_id = a.id
                            ORDER BY s.id) ELSE '{}' END
                  FROM ledger_account a WHERE a.id = ANY(%s)
                """,
                [missing],
            )
            for account_id, book_id, currency, code, shard_ids in cursor.fetchall():
                _account_cache[account_id] = _AccountMeta(book_id, currency, code, tuple(shard_ids))
        unknown = sorted(account_id for account_id in missing if account_id not in _account_cache)
        if unknown:
            raise errors.AccountNotFound(
                f"account {unknown[0]} does not exist", account_ids=unknown
            )
    return {account_id: _account_cache[account_id] for account_id in account_ids}


def _check(item: _Prepared, accounts: dict[int, _AccountMeta]) -> None:
    """Currency, amounts, book and balance per currency."""
    spec = item.spec
    net: dict[str, int] = defaultdict(int)
    for index, (account_id, line) in enumerate(item.lines):
        account = accounts[account_id]
        if account.book_id != spec.book_id:
            raise errors.CrossBookPosting(
                f"line {index}: account {account.code} is in book {account.book_id}, "
                f"the entry in book {spec.book_id}",
                line=index,
                account_id=account_id,
            )
        if line.currency is not None and line.currency != account.currency:
            raise errors.CurrencyMismatch(
                f"line {index}: amount in {line.currency} for account {account.code} "
                f"in {account.currency}",
                line=index,
                account_id=account_id,
                currency=line.currency,
                account_currency=account.currency,
            )
        amount_minor = line.amount_minor
        # Minor units are whole: a float (or anything else) is refused, never rounded.
        if not isinstance(amount_minor, int) or isinstance(amount_minor, bool):
            raise errors.InvalidAmount(
                f"line {index}: amount_minor must be an int of minor units, "
                f"not {type(amount_minor).__name__}",
                line=index,
                amount=repr(amount_minor),
            )
        if amount_minor <= 0:
            raise errors.InvalidAmount(
                f"line {index}: amount must be positive, got {amount_minor} minor units",
                line=index,
            )
        debit = line.direction is Direction.DEBIT
        net[account.currency] += amount_minor if debit else -amount_minor
    unbalanced = {currency: value for currency, value in net.items() if value != 0}
    if unbalanced:
        raise errors.UnbalancedEntry(
            "debits and credits differ: "
            + ", ".join(
                f"{currency} debits exceed credits by {from_minor(value, currency)}"
                for currency, value in sorted(unbalanced.items())
            ),
            net={c: str(from_minor(v, c)) for c, v in unbalanced.items()},
        )


# --- the statement ---


def _route_to_shards(item: _Prepared, accounts: dict[int, _AccountMeta]) -> set[int]:
    """Lines on a sharded account go to one of its shards, chosen by the entry's key: spread
    across concurrent writers, and the same again when the entry is replayed."""
    shard_ids: set[int] = set()
    for index, (account_id, line) in enumerate(item.lines):
        shards = accounts[account_id].shard_ids
        if shards:
            key = f"{item.spec.book_id}:{item.spec.idempotency_key}".encode()
            shard_id = shards[zlib.crc32(key) % len(shards)]
            item.lines[index] = (shard_id, line)
            shard_ids.add(shard_id)
    return shard_ids


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


def _post(prepared: list[_Prepared]) -> list[EntryInfo]:
    accounts = _accounts({account_id for item in prepared for account_id, _ in item.lines})
    shard_ids: set[int] = set()
    for item in prepared:
        shard_ids |= _route_to_shards(item, accounts)
    if shard_ids:
        accounts |= _accounts(shard_ids)
    for item in prepared:
        _check(item, accounts)
    fresh = _distinct(prepared)

    entries_json, lines_json = _payload(fresh)
    connection.ensure_connection()
    # A server-side-binding cursor on Django's own connection: the statement is prepared once
    # per connection.
    with psycopg.Cursor(connection.connection, row_factory=class_row(_Row)) as cursor:
        account_ids = sorted({account_id for item in fresh for account_id, _ in item.lines})
        cursor.execute(_POST_SQL, [entries_json, lines_json, account_ids], prepare=True)
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
            raise _Retry
        _raise_if_different(original, _content(item))
        results[key] = replace(original, replayed=True)
    return [results[(item.spec.book_id, item.spec.idempotency_key)] for item in prepared]


def _payload(fresh: list[_Prepared]) -> tuple[str, str]:
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


def _raise_problem(row: _Row, fresh: list[_Prepared], accounts: dict[int, _AccountMeta]) -> None:
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


def _distinct(prepared: list[_Prepared]) -> list[_Prepared]:
    """Each key once; a key repeated with other content raises ``IdempotencyConflict``."""
    seen: dict[tuple[int, str], _Prepared] = {}
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
    entry_id: int, recorded_at: dt.datetime, item: _Prepared, rows: list[_Row]
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


def _content(item: _Prepared) -> dict[str, Any]:
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
