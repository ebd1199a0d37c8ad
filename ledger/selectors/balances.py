"""Balances: an account's now or as of a recorded time, and balances by account code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from ledger.money import from_minor
from ledger.selectors.books import (
    _shard_totals,
)


@dataclass(frozen=True)
class Balance:
    account_id: int
    currency: str
    amount: Decimal
    version: int


def account_balance(*, account_id: int) -> Balance | None:
    """The account's current balance and version (one primary-key lookup; a sharded account
    adds its shards')."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.currency, a.balance_minor, a.version, a.shard_count FROM ledger_account a
             WHERE a.id = %s
            """,
            [account_id],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    currency, balance_minor, version, shard_count = row
    if shard_count > 1:
        shard_balance, shard_version = _shard_totals([account_id]).get(account_id, (0, 0))
        balance_minor += shard_balance
        version += shard_version
    return Balance(account_id, currency, from_minor(balance_minor, currency), version)


def account_balance_as_of(*, account_id: int, at: dt.datetime) -> Balance | None:
    """The balance as recorded at time ``at``: the running balance of the last posting written
    at or before it (one index lookup per account, and per shard of a sharded one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT min(a.currency), count(*), coalesce(sum(p.balance_after_minor), 0),
                   coalesce(sum(p.version_after), 0)
              FROM ledger_account a
              LEFT JOIN LATERAL (
                    SELECT balance_after_minor, version_after FROM ledger_posting
                     WHERE account_id = a.id AND recorded_at <= %s
                     ORDER BY recorded_at DESC, version_after DESC
                     LIMIT 1) p ON true
             WHERE a.id = %s OR a.parent_id = %s
            """,
            [at, account_id, account_id],
        )
        currency, found, balance_minor, version = cursor.fetchone()
    if not found:
        return None
    return Balance(account_id, currency, from_minor(int(balance_minor), currency), int(version))


@dataclass(frozen=True)
class CodeBalance:
    code: str
    currency: str
    balance: Decimal


def balances_by_code(
    *, book_id: int, codes: Sequence[str], code_prefixes: Sequence[str] = ()
) -> list[CodeBalance]:
    """The balances of a book's accounts whose code is one of ``codes`` or starts with one of
    ``code_prefixes``, in every currency each is open in, ordered by code then currency (one
    query; a sharded account adds its shards'). Codes never opened are simply absent."""
    # LIKE patterns: the prefix taken literally (its own % and _ escaped), then anything.
    patterns = [_like_literal(prefix) + "%" for prefix in code_prefixes]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.code, a.currency,
                   a.balance_minor + CASE WHEN a.shard_count > 1 THEN
                       coalesce((SELECT sum(s.balance_minor) FROM ledger_account s
                                  WHERE s.parent_id = a.id), 0) ELSE 0 END
              FROM ledger_account a
             WHERE a.book_id = %s AND a.parent_id IS NULL
               AND (a.code = ANY(%s) OR a.code LIKE ANY(%s))
             ORDER BY a.code, a.currency
            """,
            [book_id, list(codes), patterns],
        )
        rows = cursor.fetchall()
    return [CodeBalance(code, ccy, from_minor(int(minor), ccy)) for code, ccy, minor in rows]


def _like_literal(text: str) -> str:
    """``text`` for a LIKE pattern, matched literally (backslash, % and _ escaped)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
