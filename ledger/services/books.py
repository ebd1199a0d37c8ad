"""Opening books and accounts, and closing periods."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection, transaction

from core.errors import require_id
from ledger import errors
from ledger.models import AccountType
from ledger.money import AmountLike, currency_exponent, from_minor, to_minor
from ledger.selectors import account_get, book_get
from ledger.types import AccountInfo, BookInfo

MAX_SHARDS = 64


def book_open(*, code: str, name: str = "") -> BookInfo:
    """Open a book, or return the existing one with this ``code`` (idempotent).

    Raises ``InvalidInput`` for a blank or over-long code.
    """
    code = code.strip() if isinstance(code, str) else ""
    if not code or len(code) > 64:
        raise errors.InvalidInput("a book code is 1 to 64 characters", code=code)
    with transaction.atomic(), connection.cursor() as cursor:
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
    shards: int = 1,
) -> AccountInfo:
    """Open an account, or return the existing one with this book, code and currency.

    ``shards`` > 1 splits a hot account (fees, in transit) into that many shard accounts
    (``<code>#<n>``) among which postings to it are spread; a sharded account has no floor.
    Opening again with a different type, floor or shard count raises ``AccountConflict``; an
    unknown book ``BookNotFound``; a bad currency, type, code, floor or shard count
    ``InvalidCurrency``, ``InvalidInput`` or ``InvalidAmount``.
    """
    require_id(book_id, "book_id")
    code = code.strip() if isinstance(code, str) else ""
    if not code or len(code) > 200:
        raise errors.InvalidInput("an account code is 1 to 200 characters", code=code)
    if type not in AccountType.values:
        raise errors.InvalidInput(
            f"account type must be one of {', '.join(AccountType.values)}", type=type
        )
    currency_exponent(currency)
    floor_minor = None if floor is None else to_minor(floor, currency)
    if not isinstance(metadata or {}, dict):
        raise errors.InvalidInput("metadata must be a JSON object", field="metadata")
    if not isinstance(shards, int) or isinstance(shards, bool) or not 1 <= shards <= MAX_SHARDS:
        raise errors.InvalidInput(f"shards is 1 to {MAX_SHARDS}", shards=shards)
    if shards > 1 and floor is not None:
        raise errors.InvalidInput("a sharded account has no floor", shards=shards)
    with transaction.atomic(), connection.cursor() as cursor:
        if book_get(book_id=book_id) is None:
            raise errors.BookNotFound(f"book {book_id} does not exist", book_id=book_id)
        cursor.execute(
            """
            INSERT INTO ledger_account
                (book_id, code, currency, name, type, floor_minor, metadata, shard_count)
            VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s)
            ON CONFLICT (book_id, code, currency) DO NOTHING
            RETURNING id
            """,
            [
                book_id,
                code,
                currency,
                name or code,
                type,
                floor_minor,
                json.dumps(metadata or {}),
                shards,
            ],
        )
        created = cursor.fetchone()
        if created is not None and shards > 1:
            cursor.execute(
                """
                INSERT INTO ledger_account
                    (book_id, code, currency, name, type, metadata, parent_id)
                SELECT %s, %s || '#' || n, %s, %s || ' (shard ' || n || ')', %s, '{}', %s
                  FROM generate_series(0, %s - 1) AS n
                """,
                [book_id, code, currency, name or code, type, created[0], shards],
            )
    account = account_get(book_id=book_id, code=code, currency=currency)
    assert account is not None
    wanted_floor = None if floor_minor is None else from_minor(floor_minor, currency)
    if account.type != type or account.floor != wanted_floor or account.shard_count != shards:
        raise errors.AccountConflict(
            f"account {code} ({currency}) exists with type {account.type}, floor "
            f"{account.floor} and {account.shard_count} shard(s)",
            account_id=account.id,
            type=account.type,
            floor=None if account.floor is None else str(account.floor),
            shards=account.shard_count,
        )
    return account


def accounts_open(
    *, book_id: int, currency: str, type: str, codes: list[str], floor: AmountLike | None = None
) -> dict[str, int]:
    """Open many unsharded accounts of one type, currency and floor at once (those already
    open are left as they are); returns every code's id. For bulk onboarding: thousands of
    payees' accounts in one statement. Raises what ``account_open`` raises for bad input."""
    require_id(book_id, "book_id")
    if type not in AccountType.values:
        raise errors.InvalidInput(
            f"account type must be one of {', '.join(AccountType.values)}", type=type
        )
    currency_exponent(currency)
    floor_minor = None if floor is None else to_minor(floor, currency)
    cleaned = sorted({c.strip() for c in codes if isinstance(c, str)})
    if len(cleaned) != len(set(codes)) or any(not c or len(c) > 200 for c in cleaned):
        raise errors.InvalidInput("an account code is 1 to 200 characters", field="codes")
    with transaction.atomic(), connection.cursor() as cursor:
        if book_get(book_id=book_id) is None:
            raise errors.BookNotFound(f"book {book_id} does not exist", book_id=book_id)
        cursor.execute(
            """
            INSERT INTO ledger_account
                (book_id, code, currency, name, type, floor_minor, metadata, shard_count)
            SELECT %s, code, %s, code, %s, %s, '{}'::jsonb, 1 FROM unnest(%s::text[]) AS code
            ON CONFLICT (book_id, code, currency) DO NOTHING
            """,
            [book_id, currency, type, floor_minor, cleaned],
        )
        cursor.execute(
            """
            SELECT code, id, type, floor_minor, shard_count FROM ledger_account
             WHERE book_id = %s AND currency = %s AND code = ANY(%s)
            """,
            [book_id, currency, cleaned],
        )
        rows = cursor.fetchall()
    for code, account_id, found_type, found_floor, shards in rows:
        if found_type != type or found_floor != floor_minor or shards != 1:
            raise errors.AccountConflict(
                f"account {code} ({currency}) exists with another type, floor or sharding",
                account_id=account_id,
            )
    return {code: account_id for code, account_id, *_ in rows}


def period_close(*, book_id: int, through: dt.date) -> BookInfo:
    """Close a book's periods through ``through``: no entry dated on or before it can post.

    Waits for entries in flight on the book. Closing the same date again is a no-op; an earlier
    date than already closed raises ``PeriodClosed`` (a closed period never reopens).
    """
    require_id(book_id, "book_id")
    if not isinstance(through, dt.date) or isinstance(through, dt.datetime):
        raise errors.InvalidInput("through must be a date", through=str(through))
    with transaction.atomic(), connection.cursor() as cursor:
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
