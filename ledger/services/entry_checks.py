"""Checking entries before they are posted: what can be checked without the database, and what
needs the accounts (their book and currency, cached: they never change). Raises the typed errors of
``entry_post``; nothing here writes."""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from ledger import errors
from ledger.money import from_minor
from ledger.types import Direction, EntrySpec, Line

MAX_KIND_LENGTH = 64
MAX_KEY_LENGTH = 255
MAX_LINES = 1000
# An amount, like a balance, is a bigint of minor units.
MAX_AMOUNT_MINOR = 2**63 - 1
ACCOUNT_CACHE_MAX = 200_000


# --- validation without the database ---


@dataclass
class Prepared:
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


def prepare(spec: EntrySpec) -> Prepared:
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
    return Prepared(
        spec=spec,
        effective_date=effective_date,
        lines=checked,
        metadata_json=_json_object(spec.metadata, "metadata"),
        refs_json=_json_object(spec.refs, "refs"),
    )


# --- validation against the accounts ---


@dataclass(frozen=True)
class AccountMeta:
    """What never changes about an account (the database refuses to change it)."""

    book_id: int
    currency: str
    code: str
    shard_ids: tuple[int, ...] = ()  # a sharded account's shards, in shard order


_account_cache: dict[int, AccountMeta] = {}


def accounts_meta(account_ids: set[int]) -> dict[int, AccountMeta]:
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
                _account_cache[account_id] = AccountMeta(book_id, currency, code, tuple(shard_ids))
        unknown = sorted(account_id for account_id in missing if account_id not in _account_cache)
        if unknown:
            raise errors.AccountNotFound(
                f"account {unknown[0]} does not exist", account_ids=unknown
            )
    return {account_id: _account_cache[account_id] for account_id in account_ids}


def check(item: Prepared, accounts: dict[int, AccountMeta]) -> None:
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
        if amount_minor > MAX_AMOUNT_MINOR:
            raise errors.InvalidAmount(
                f"line {index}: amount must be at most {MAX_AMOUNT_MINOR} minor units",
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


def route_to_shards(item: Prepared, accounts: dict[int, AccountMeta]) -> set[int]:
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
