"""The ledger's write path. Every change to the books goes through these functions.

Each service owns its transaction (``atomic(durable=True)``), checks the rules first and raises a
typed ``DomainError`` (nothing is written then); the database enforces the same invariants again
at commit (``ledger/sql/invariants.sql``).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import psycopg.errors
from django.db import IntegrityError, OperationalError, connection, transaction
from django.utils import timezone

from ledger import errors
from ledger.models import AccountType
from ledger.money import AmountLike, currency_exponent, from_minor, normal_sign, to_minor
from ledger.selectors import account_get, book_get, entry_get, entry_get_by_key
from ledger.types import AccountInfo, BookInfo, EntryInfo, EntrySpec, Line, PostingInfo, Side

__all__ = [
    "account_open",
    "book_open",
    "entries_post",
    "entry_post",
    "entry_reverse",
    "period_close",
]

T = TypeVar("T")

MAX_KIND_LENGTH = 64
MAX_KEY_LENGTH = 255
MAX_LINES = 1000
# Retries for transient lock conflicts (deadlock, serialization) and the idempotency race below;
# lock ordering makes these rare, and the caller never sees one unless they persist.
TRANSIENT_RETRIES = 5
_DIRECTION = {Side.DEBIT: "D", Side.CREDIT: "C"}
_SIDE = {"D": Side.DEBIT, "C": Side.CREDIT}


class _RetryTransaction(Exception):
    """A concurrent writer took an idempotency key between our check and our insert."""


def _run_with_retries(fn: Callable[[], T]) -> T:
    for attempt in range(TRANSIENT_RETRIES):
        try:
            with transaction.atomic(durable=True):
                return fn()
        except OperationalError as exc:
            transient = isinstance(
                exc.__cause__, psycopg.errors.DeadlockDetected | psycopg.errors.SerializationFailure
            )
            if not transient or attempt == TRANSIENT_RETRIES - 1:
                raise
        except _RetryTransaction:
            if attempt == TRANSIENT_RETRIES - 1:
                raise
        time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")


# --- books and accounts ------------------------------------------------------------------------


def book_open(*, code: str, name: str = "") -> BookInfo:
    """Open a book, or return the existing one with this ``code`` (idempotent).

    Raises ``InvalidInput`` for a blank or over-long code.
    """
    code = (code or "").strip()
    if not code or len(code) > 64:
        raise errors.InvalidInput("a book code is 1 to 64 characters", code=code)
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_book (code, name) VALUES (%s, %s) ON CONFLICT (code) DO NOTHING",
            [code, name or code],
        )
    book = book_get(code=code)
    assert book is not None
    return book


def account_open(
    *,
    book_id: int,
    code: str,
    currency: str,
    type: str,
    name: str = "",
    floor: AmountLike | None = None,
    metadata: dict[str, Any] | None = None,
) -> AccountInfo:
    """Open an account, or return the existing one with this book, code and currency.

    Opening again with a different type or floor raises ``AccountConflict``; an unknown book
    ``BookNotFound``; a bad currency, type or floor ``InvalidCurrency``/``InvalidInput``/
    ``InvalidAmount``.
    """
    code = (code or "").strip()
    if not code or len(code) > 200:
        raise errors.InvalidInput("an account code is 1 to 200 characters", code=code)
    if type not in AccountType.values:
        raise errors.InvalidInput(
            f"account type must be one of {', '.join(AccountType.values)}", type=type
        )
    currency_exponent(currency)
    floor_minor = None if floor is None else to_minor(floor, currency)
    meta_json = _json_object(metadata or {}, "metadata")
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        if book_get(book_id=book_id) is None:
            raise errors.BookNotFound(f"book {book_id} does not exist", book_id=book_id)
        cursor.execute(
            """
            INSERT INTO ledger_account (book_id, code, currency, name, type, floor_minor, metadata)
            VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb)
            ON CONFLICT (book_id, code, currency) DO NOTHING
            """,
            [book_id, code, currency, name or code, type, floor_minor, meta_json],
        )
    account = account_get(book_id=book_id, code=code, currency=currency)
    assert account is not None
    wanted_floor = None if floor_minor is None else from_minor(floor_minor, currency)
    if account.type != type or account.floor != wanted_floor:
        raise errors.AccountConflict(
            f"account {code} ({currency}) exists with type {account.type} and floor "
            f"{account.floor}",
            account_id=account.id,
            type=account.type,
            floor=None if account.floor is None else str(account.floor),
        )
    return account


# --- entries -----------------------------------------------------------------------------------


@dataclass
class _Prepared:
    spec: EntrySpec
    effective_date: dt.date
    lines: list[tuple[int, str, Line]]  # (account_id, "D"/"C", the line)
    metadata_json: str
    refs_json: str
    reverses_id: int | None = None
    minor: list[int] | None = None
    after: list[tuple[int, int]] | None = None  # per line: (balance_after_minor, version_after)


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
    """Post one balanced entry and move its accounts' balances, all in one transaction.

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
    """Post many entries in one transaction: all of them, or none (a batch).

    Accounts are locked once, in ascending id order, and the postings go in as one statement.
    Each entry follows the rules of ``entry_post``; results come back in input order.
    """
    if not entries:
        return []
    prepared = [_prepare(spec) for spec in entries]
    return _run_with_retries(lambda: _post(prepared, check_existing=len(prepared) > 1))


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
    original = entry_get(entry_id=entry_id)
    if original is None:
        raise errors.EntryNotFound(f"entry {entry_id} does not exist", entry_id=entry_id)
    key = idempotency_key or f"reversal:{entry_id}"
    spec = EntrySpec(
        book_id=original.book_id,
        kind=f"{original.kind}.reversal" if len(original.kind) <= 55 else "reversal",
        lines=[
            Line(
                account_id=p.account_id,
                side=Side.CREDIT if p.side is Side.DEBIT else Side.DEBIT,
                amount=p.amount,
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
        if existing is not None and (
            existing.book_id != original.book_id or existing.idempotency_key != key
        ):
            raise errors.AlreadyReversed(
                f"entry {entry_id} was already reversed by entry {existing.id}",
                entry_id=entry_id,
                reversal_id=existing.id,
            )
        try:
            with transaction.atomic():
                return _post([prepared], check_existing=False)[0]
        except IntegrityError as exc:
            if _constraint_name(exc) == "ledger_entry_reverses_id_key":
                raise _RetryTransaction from exc
            raise

    return _run_with_retries(post_reversal)


def period_close(*, book_id: int, through: dt.date) -> BookInfo:
    """Close a book's periods through ``through``: no entry dated on or before it can post.

    Waits for entries in flight on the book. Closing the same date again is a no-op; an earlier
    date than already closed raises ``PeriodClosed`` (a closed period never reopens).
    """
    if not isinstance(through, dt.date) or isinstance(through, dt.datetime):
        raise errors.InvalidInput("through must be a date", through=str(through))
    with transaction.atomic(durable=True), connection.cursor() as cursor:
        cursor.execute(
            "SELECT closed_through FROM ledger_book WHERE id = %s FOR NO KEY UPDATE", [book_id]
        )
        row = cursor.fetchone()
        if row is None:
            raise errors.BookNotFound(f"book {book_id} does not exist", book_id=book_id)
        closed_through = row[0]
        if closed_through is not None and through < closed_through:
            raise errors.PeriodClosed(
                f"book {book_id} is already closed through {closed_through}",
                book_id=book_id,
                closed_through=closed_through.isoformat(),
            )
        cursor.execute(
            "UPDATE ledger_book SET closed_through = %s WHERE id = %s", [through, book_id]
        )
    book = book_get(book_id=book_id)
    assert book is not None
    return book


# --- internals ---------------------------------------------------------------------------------


def _json_object(value: object, name: str) -> str:
    if not isinstance(value, dict):
        raise errors.InvalidEntry(f"{name} must be a JSON object", field=name)
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise errors.InvalidEntry(f"{name} is not JSON-serialisable: {exc}", field=name) from None


def _prepare(spec: EntrySpec) -> _Prepared:
    """Validate what can be validated without the database."""
    kind = spec.kind if isinstance(spec.kind, str) else ""
    if not kind.strip() or len(kind) > MAX_KIND_LENGTH:
        raise errors.InvalidEntry(f"kind is 1 to {MAX_KIND_LENGTH} characters", field="kind")
    key = spec.idempotency_key if isinstance(spec.idempotency_key, str) else ""
    if not key.strip() or len(key) > MAX_KEY_LENGTH:
        raise errors.InvalidEntry(
            f"idempotency_key is 1 to {MAX_KEY_LENGTH} characters", field="idempotency_key"
        )
    if not isinstance(spec.book_id, int) or isinstance(spec.book_id, bool):
        raise errors.InvalidEntry("book_id must be an integer", field="book_id")
    effective_date = spec.effective_date or timezone.localdate()
    if not isinstance(effective_date, dt.date) or isinstance(effective_date, dt.datetime):
        raise errors.InvalidEntry("effective_date must be a date", field="effective_date")
    lines = list(spec.lines) if isinstance(spec.lines, Iterable) else []
    if len(lines) < 2 or len(lines) > MAX_LINES:
        raise errors.InvalidEntry(
            f"an entry has 2 to {MAX_LINES} lines, got {len(lines)}", field="lines"
        )
    checked: list[tuple[int, str, Line]] = []
    for index, line in enumerate(lines):
        if not isinstance(line, Line):
            raise errors.InvalidEntry(f"line {index} is not a Line", field="lines", line=index)
        if not isinstance(line.account_id, int) or isinstance(line.account_id, bool):
            raise errors.InvalidEntry(
                f"line {index}: account_id must be an integer", field="lines", line=index
            )
        try:
            direction = _DIRECTION[Side(line.side)]
        except ValueError:
            raise errors.InvalidEntry(
                f"line {index}: side must be 'debit' or 'credit', not {line.side!r}",
                field="lines",
                line=index,
            ) from None
        checked.append((line.account_id, direction, line))
    return _Prepared(
        spec=spec,
        effective_date=effective_date,
        lines=checked,
        metadata_json=_json_object(spec.metadata, "metadata"),
        refs_json=_json_object(spec.refs, "refs"),
    )


@dataclass
class _LockedAccount:
    id: int
    book_id: int
    currency: str
    type: str
    floor_minor: int | None
    balance_minor: int
    version: int
    code: str
    closed_through: dt.date | None


def _lock_accounts(cursor: Any, account_ids: list[int]) -> dict[int, _LockedAccount]:
    # Accounts in ascending id order (no deadlocks), and their books share-locked so a period
    # cannot close under this transaction.
    cursor.execute(
        """
        SELECT a.id, a.book_id, a.currency, a.type, a.floor_minor, a.balance_minor, a.version,
               a.code, b.closed_through
          FROM ledger_account a JOIN ledger_book b ON b.id = a.book_id
         WHERE a.id = ANY(%s)
         ORDER BY a.id
           FOR NO KEY UPDATE OF a FOR SHARE OF b
        """,
        [account_ids],
    )
    locked = {row[0]: _LockedAccount(*row) for row in cursor.fetchall()}
    missing = [account_id for account_id in account_ids if account_id not in locked]
    if missing:
        raise errors.AccountNotFound(f"account {missing[0]} does not exist", account_ids=missing)
    return locked


def _convert_amounts(item: _Prepared, accounts: dict[int, _LockedAccount]) -> None:
    """Each line's amount in minor units of its account's currency."""
    minor: list[int] = []
    for index, (account_id, _, line) in enumerate(item.lines):
        account = accounts[account_id]
        money_currency = getattr(getattr(line.amount, "currency", None), "code", None)
        line_currency = line.currency or money_currency
        if line_currency is not None and line_currency != account.currency:
            raise errors.CurrencyMismatch(
                f"line {index}: amount in {line_currency} for account {account.code} "
                f"in {account.currency}",
                line=index,
                account_id=account_id,
                currency=line_currency,
                account_currency=account.currency,
            )
        amount = getattr(line.amount, "amount", line.amount)
        amount_minor = to_minor(amount, account.currency)
        if amount_minor <= 0:
            raise errors.InvalidAmount(
                f"line {index}: amount must be positive, got {amount}", line=index
            )
        minor.append(amount_minor)
    item.minor = minor


def _check_rules(item: _Prepared, accounts: dict[int, _LockedAccount]) -> None:
    """Book, balance per currency and period: the rules an entry must meet to post."""
    spec = item.spec
    assert item.minor is not None
    net: dict[str, int] = defaultdict(int)
    for index, ((account_id, direction, _), amount_minor) in enumerate(
        zip(item.lines, item.minor, strict=True)
    ):
        account = accounts[account_id]
        if account.book_id != spec.book_id:
            raise errors.CrossBookPosting(
                f"line {index}: account {account.code} is in book {account.book_id}, "
                f"the entry in book {spec.book_id}",
                line=index,
                account_id=account_id,
            )
        net[account.currency] += amount_minor if direction == "D" else -amount_minor
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
    closed_through = accounts[item.lines[0][0]].closed_through
    if closed_through is not None and item.effective_date <= closed_through:
        raise errors.PeriodClosed(
            f"book {spec.book_id} is closed through {closed_through}; "
            f"the entry is dated {item.effective_date}",
            book_id=spec.book_id,
            closed_through=closed_through.isoformat(),
            effective_date=item.effective_date.isoformat(),
        )


def _existing_keys(cursor: Any, prepared: list[_Prepared]) -> set[tuple[int, str]]:
    cursor.execute(
        """
        SELECT e.book_id, e.idempotency_key FROM ledger_entry e
          JOIN unnest(%s::bigint[], %s::text[]) AS k(book_id, key)
            ON e.book_id = k.book_id AND e.idempotency_key = k.key
        """,
        [[p.spec.book_id for p in prepared], [p.spec.idempotency_key for p in prepared]],
    )
    return {(row[0], row[1]) for row in cursor.fetchall()}


def _post(prepared: list[_Prepared], *, check_existing: bool) -> list[EntryInfo]:
    account_ids = sorted({account_id for item in prepared for account_id, _, _ in item.lines})
    results: dict[tuple[int, str], EntryInfo] = {}
    with connection.cursor() as cursor:
        accounts = _lock_accounts(cursor, account_ids)
        for item in prepared:
            _convert_amounts(item, accounts)
        existing = _existing_keys(cursor, prepared) if check_existing else set()
        fresh = _distinct_fresh(prepared, existing)
        try:
            for item in fresh:
                _check_rules(item, accounts)
            entry_cols, posting_cols = _rows(fresh, accounts)
        except errors.DomainError:
            # A replay need not meet today's rules (its period may have closed since, its
            # balance moved on): when the one key is already taken, compare instead.
            if (
                check_existing
                or entry_get_by_key(
                    book_id=fresh[0].spec.book_id, idempotency_key=fresh[0].spec.idempotency_key
                )
                is None
            ):
                raise
            fresh = []

        if fresh:
            cursor.execute(_INSERT_SQL, [*entry_cols, *posting_cols])
            posting_ids: dict[tuple[int, int], int] = {}
            new_entries = []
            for row_kind, row_id, book_id, key, recorded_at, account_id, version in cursor:
                if row_kind == "p":
                    posting_ids[(account_id, version)] = row_id
                else:
                    new_entries.append((row_id, book_id, key, recorded_at))
            by_key = {(item.spec.book_id, item.spec.idempotency_key): item for item in fresh}
            for entry_id, book_id, key, recorded_at in new_entries:
                results[(book_id, key)] = _fresh_info(
                    entry_id, recorded_at, by_key[(book_id, key)], accounts, posting_ids
                )
            if check_existing and len(new_entries) != len(fresh):
                # Another writer took one of our keys after we looked: our running balances
                # assumed that entry. Start over; the next round replays or refuses it.
                raise _RetryTransaction

        for item in prepared:
            key = (item.spec.book_id, item.spec.idempotency_key)
            if key not in results:
                original = entry_get_by_key(book_id=key[0], idempotency_key=key[1])
                if original is None:
                    raise _RetryTransaction
                _raise_if_different_entry(original, _content(item))
                results[key] = _replayed(original)
    return [results[(item.spec.book_id, item.spec.idempotency_key)] for item in prepared]


def _distinct_fresh(prepared: list[_Prepared], existing: set[tuple[int, str]]) -> list[_Prepared]:
    """The entries to insert: not already stored, and each key once (a repeated key with other
    content raises ``IdempotencyConflict``)."""
    seen: dict[tuple[int, str], _Prepared] = {}
    for item in prepared:
        key = (item.spec.book_id, item.spec.idempotency_key)
        if key in existing:
            continue
        if key in seen:
            _raise_if_different(seen[key], _content(item))
            continue
        seen[key] = item
    return list(seen.values())


def _rows(
    fresh: list[_Prepared], accounts: dict[int, _LockedAccount]
) -> tuple[list[list[Any]], list[list[Any]]]:
    """Column arrays for the insert, with each posting's running balance and version; raises
    ``BelowFloor`` at the first posting that would take a floored account under its floor."""
    entry_cols: list[list[Any]] = [[] for _ in range(9)]
    posting_cols: list[list[Any]] = [[] for _ in range(9)]
    for item in fresh:
        spec = item.spec
        entry_row: tuple[Any, ...] = (
            spec.book_id,
            spec.kind,
            spec.memo or "",
            item.effective_date,
            spec.idempotency_key,
            item.metadata_json,
            item.refs_json,
            item.reverses_id,
            len(item.lines),
        )
        for column, value in zip(entry_cols, entry_row, strict=True):
            column.append(value)
        assert item.minor is not None
        item.after = []
        for (account_id, direction, _), amount_minor in zip(item.lines, item.minor, strict=True):
            account = accounts[account_id]
            delta = normal_sign(account.type) * (
                amount_minor if direction == "D" else -amount_minor
            )
            if (
                account.floor_minor is not None
                and account.balance_minor + delta < account.floor_minor
            ):
                currency = account.currency
                raise errors.BelowFloor(
                    f"account {account.code} would go to "
                    f"{from_minor(account.balance_minor + delta, currency)} {currency}, "
                    f"below its floor of {from_minor(account.floor_minor, currency)}",
                    account_id=account_id,
                    account_code=account.code,
                    currency=currency,
                    balance=str(from_minor(account.balance_minor, currency)),
                    floor=str(from_minor(account.floor_minor, currency)),
                )
            account.balance_minor += delta
            account.version += 1
            item.after.append((account.balance_minor, account.version))
            posting_row: tuple[Any, ...] = (
                spec.book_id,
                spec.idempotency_key,
                account_id,
                account.currency,
                item.effective_date,
                direction,
                amount_minor,
                account.balance_minor,
                account.version,
            )
            for column, value in zip(posting_cols, posting_row, strict=True):
                column.append(value)
    return entry_cols, posting_cols


_INSERT_SQL = """
WITH e AS (
    INSERT INTO ledger_entry
        (book_id, kind, memo, effective_date, idempotency_key, metadata, refs, reverses_id,
         line_count)
    SELECT t.book_id, t.kind, t.memo, t.effective_date, t.key, t.metadata::jsonb, t.refs::jsonb,
           t.reverses_id, t.line_count
      FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::date[], %s::text[], %s::text[],
                  %s::text[], %s::bigint[], %s::int[])
           AS t(book_id, kind, memo, effective_date, key, metadata, refs, reverses_id, line_count)
    ON CONFLICT (book_id, idempotency_key) DO NOTHING
    RETURNING id, book_id, idempotency_key, recorded_at
), p AS (
    INSERT INTO ledger_posting
        (entry_id, account_id, book_id, currency, effective_date, direction, amount_minor,
         balance_after_minor, version_after)
    SELECT e.id, t.account_id, t.book_id, t.currency, t.effective_date, t.direction,
           t.amount_minor, t.balance_after, t.version_after
      FROM unnest(%s::bigint[], %s::text[], %s::bigint[], %s::text[], %s::date[], %s::text[],
                  %s::bigint[], %s::bigint[], %s::bigint[])
           AS t(book_id, key, account_id, currency, effective_date, direction, amount_minor,
                balance_after, version_after)
      JOIN e ON e.book_id = t.book_id AND e.idempotency_key = t.key
    RETURNING id, account_id, version_after
)
SELECT 'e', e.id, e.book_id, e.idempotency_key, e.recorded_at, NULL::bigint, NULL::bigint FROM e
UNION ALL
SELECT 'p', p.id, NULL, NULL, NULL, p.account_id, p.version_after FROM p
"""


def _fresh_info(
    entry_id: int,
    recorded_at: dt.datetime,
    item: _Prepared,
    accounts: dict[int, _LockedAccount],
    posting_ids: dict[tuple[int, int], int],
) -> EntryInfo:
    spec = item.spec
    assert item.minor is not None
    assert item.after is not None
    postings = []
    for (account_id, direction, _), amount_minor, (balance_minor, version) in zip(
        item.lines, item.minor, item.after, strict=True
    ):
        currency = accounts[account_id].currency
        postings.append(
            PostingInfo(
                id=posting_ids[(account_id, version)],
                account_id=account_id,
                currency=currency,
                side=_SIDE[direction],
                amount=from_minor(amount_minor, currency),
                balance_after=from_minor(balance_minor, currency),
                version_after=version,
            )
        )
    return EntryInfo(
        id=entry_id,
        book_id=spec.book_id,
        kind=spec.kind,
        memo=spec.memo or "",
        effective_date=item.effective_date,
        recorded_at=recorded_at,
        idempotency_key=spec.idempotency_key,
        reverses_id=item.reverses_id,
        metadata=dict(spec.metadata),
        refs=dict(spec.refs),
        postings=tuple(postings),
    )


def _content(item: _Prepared) -> dict[str, Any]:
    assert item.minor is not None
    return {
        "kind": item.spec.kind,
        "memo": item.spec.memo or "",
        "effective_date": item.spec.effective_date,
        "metadata": json.loads(item.metadata_json),
        "refs": json.loads(item.refs_json),
        "reverses_id": item.reverses_id,
        "lines": sorted(
            (account_id, direction, amount)
            for (account_id, direction, _), amount in zip(item.lines, item.minor, strict=True)
        ),
    }


def _raise_if_different(first: _Prepared, content: dict[str, Any]) -> None:
    differences = [name for name, value in _content(first).items() if value != content[name]]
    if differences:
        raise errors.IdempotencyConflict(
            f"idempotency key {first.spec.idempotency_key!r} is used twice with different "
            f"{', '.join(differences)}",
            idempotency_key=first.spec.idempotency_key,
            differences=differences,
        )


def _raise_if_different_entry(original: EntryInfo, content: dict[str, Any]) -> None:
    stored = {
        "kind": original.kind,
        "memo": original.memo,
        "effective_date": original.effective_date,
        "metadata": original.metadata,
        "refs": original.refs,
        "reverses_id": original.reverses_id,
        "lines": sorted(
            (
                p.account_id,
                _DIRECTION[p.side],
                to_minor(p.amount, p.currency),
            )
            for p in original.postings
        ),
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


def _replayed(original: EntryInfo) -> EntryInfo:
    return replace(original, replayed=True)


def _constraint_name(exc: IntegrityError) -> str | None:
    cause = exc.__cause__
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None)
