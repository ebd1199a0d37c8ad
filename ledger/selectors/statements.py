"""Account statements: postings over an effective-date range with running balances, whole
or a page at a time for the platform API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from ledger import errors
from ledger.money import from_minor, normal_sign
from ledger.selectors.books import (
    account_get,
)
from ledger.types import AccountInfo, Direction


@dataclass(frozen=True)
class StatementLine:
    posting_id: int
    entry_id: int
    effective_date: dt.date
    recorded_at: dt.datetime
    kind: str
    memo: str
    direction: Direction
    amount: Decimal
    balance: Decimal


@dataclass(frozen=True)
class Statement:
    account: AccountInfo
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    closing_balance: Decimal
    total_debits: Decimal
    total_credits: Decimal
    lines: tuple[StatementLine, ...]


def account_statement(*, account_id: int, date_from: dt.date, date_to: dt.date) -> Statement | None:
    """Postings of an account (and its shards) by effective date in ``[date_from, date_to]``, in
    date then recording order, each with the running balance on the account's normal side."""
    account = account_get(account_id=account_id)
    if account is None:
        return None
    sign = normal_sign(account.type)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT coalesce(sum(CASE WHEN direction = 'D' THEN amount_minor
                                     ELSE -amount_minor END), 0)
              FROM ledger_posting
             WHERE account_id IN (SELECT id FROM ledger_account WHERE id = %s OR parent_id = %s)
               AND effective_date < %s
            """,
            [account_id, account_id, date_from],
        )
        opening_debit_net = int(cursor.fetchone()[0])
        cursor.execute(
            """
            SELECT p.id, p.entry_id, p.effective_date, p.recorded_at, e.kind, e.memo, p.direction,
                   p.amount_minor
              FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id
             WHERE p.account_id IN (SELECT id FROM ledger_account WHERE id = %s OR parent_id = %s)
               AND p.effective_date BETWEEN %s AND %s
             ORDER BY p.effective_date, p.recorded_at, p.id
            """,
            [account_id, account_id, date_from, date_to],
        )
        rows = cursor.fetchall()
    currency = account.currency
    balance = sign * opening_debit_net
    opening = balance
    lines, balance = _statement_lines(rows, sign=sign, balance=balance, currency=currency)
    debits = sum(amount for *_, direction, amount in rows if direction == "D")
    credits = sum(amount for *_, direction, amount in rows if direction != "D")
    return Statement(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening_balance=from_minor(opening, currency),
        closing_balance=from_minor(balance, currency),
        total_debits=from_minor(debits, currency),
        total_credits=from_minor(credits, currency),
        lines=tuple(lines),
    )


def _statement_lines(
    rows: Sequence[Sequence[Any]], *, sign: int, balance: int, currency: str
) -> tuple[list[StatementLine], int]:
    """Posting rows (id, entry id, effective date, recorded at, kind, memo, direction, amount)
    as statement lines with the running balance from ``balance``; returns the lines and the
    balance after the last."""
    lines = []
    for posting_id, entry_id, effective_date, recorded_at, kind, memo, direction, amount in rows:
        balance += sign * amount if direction == "D" else -sign * amount
        lines.append(
            StatementLine(
                posting_id=posting_id,
                entry_id=entry_id,
                effective_date=effective_date,
                recorded_at=recorded_at,
                kind=kind,
                memo=memo,
                direction=Direction(direction),
                amount=from_minor(amount, currency),
                balance=from_minor(balance, currency),
            )
        )
    return lines, balance


@dataclass(frozen=True)
class StatementPage:
    """Part of an account's statement: the range's opening and closing balances and totals,
    and up to ``limit`` of its lines from a position on, each with its running balance."""

    account: AccountInfo
    date_from: dt.date
    date_to: dt.date
    opening_balance: Decimal
    closing_balance: Decimal
    total_debits: Decimal
    total_credits: Decimal
    line_count: int
    lines: tuple[StatementLine, ...]
    has_more: bool


_SIGNED = "CASE WHEN direction = 'D' THEN amount_minor ELSE -amount_minor END"


def account_statement_page(
    *,
    account_id: int,
    date_from: dt.date,
    date_to: dt.date,
    after_posting_id: int | None = None,
    limit: int = 100,
) -> StatementPage | None:
    """``account_statement`` a page at a time, in the same order (effective date, then
    recording): lines after the posting ``after_posting_id`` (a line of this statement, else
    ``InvalidInput`` on ``cursor``). Each page's running balances are derived from the postings
    before it, never carried by the caller. ``None`` for an unknown account."""
    account = account_get(account_id=account_id)
    if account is None:
        return None
    sign = normal_sign(account.type)
    currency = account.currency
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT array_agg(id) FROM ledger_account WHERE id = %s OR parent_id = %s",
            [account_id, account_id],
        )
        family = list(cursor.fetchone()[0])
        cursor.execute(
            f"""
            SELECT coalesce(sum({_SIGNED}) FILTER (WHERE effective_date < %s), 0),
                   coalesce(sum(amount_minor) FILTER (WHERE effective_date >= %s
                                                       AND direction = 'D'), 0),
                   coalesce(sum(amount_minor) FILTER (WHERE effective_date >= %s
                                                       AND direction = 'C'), 0),
                   count(*) FILTER (WHERE effective_date >= %s)
              FROM ledger_posting
             WHERE account_id = ANY(%s) AND effective_date <= %s
            """,
            [date_from, date_from, date_from, date_from, family, date_to],
        )
        opening_net, debits, credits, line_count = cursor.fetchone()
        position: tuple[Any, ...] | None = None
        balance = sign * int(opening_net)
        if after_posting_id is not None:
            cursor.execute(
                "SELECT effective_date, recorded_at, id FROM ledger_posting"
                " WHERE id = %s AND account_id = ANY(%s) AND effective_date BETWEEN %s AND %s",
                [after_posting_id, family, date_from, date_to],
            )
            position = cursor.fetchone()
            if position is None:
                raise errors.InvalidInput("the cursor is not one this API gave out", field="cursor")
            cursor.execute(
                f"""
                SELECT coalesce(sum({_SIGNED}), 0) FROM ledger_posting
                 WHERE account_id = ANY(%s) AND (effective_date, recorded_at, id) <= (%s, %s, %s)
                """,
                [family, *position],
            )
            balance = sign * int(cursor.fetchone()[0])
        pos = position or (None, None, None)
        cursor.execute(
            """
            SELECT p.id, p.entry_id, p.effective_date, p.recorded_at, e.kind, e.memo, p.direction,
                   p.amount_minor
              FROM ledger_posting p JOIN ledger_entry e ON e.id = p.entry_id
             WHERE p.account_id = ANY(%s) AND p.effective_date BETWEEN %s AND %s
               AND (%s::date IS NULL
                    OR (p.effective_date, p.recorded_at, p.id) > (%s::date, %s, %s::bigint))
             ORDER BY p.effective_date, p.recorded_at, p.id
             LIMIT %s
            """,
            [family, date_from, date_to, pos[0], *pos, limit + 1],
        )
        rows = cursor.fetchall()
    lines, balance = _statement_lines(rows[:limit], sign=sign, balance=balance, currency=currency)
    opening = sign * int(opening_net)
    return StatementPage(
        account=account,
        date_from=date_from,
        date_to=date_to,
        opening_balance=from_minor(opening, currency),
        closing_balance=from_minor(opening + sign * (int(debits) - int(credits)), currency),
        total_debits=from_minor(int(debits), currency),
        total_credits=from_minor(int(credits), currency),
        line_count=int(line_count),
        lines=tuple(lines),
        has_more=len(rows) > limit,
    )
