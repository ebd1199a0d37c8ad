"""The trial balance of a book as of an effective date, per currency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection

from ledger.money import from_minor
from ledger.selectors.books import (
    book_get,
)
from ledger.types import BookInfo


@dataclass(frozen=True)
class TrialBalanceRow:
    account_id: int
    code: str
    name: str
    type: str
    currency: str
    debit: Decimal
    credit: Decimal


@dataclass(frozen=True)
class TrialBalanceTotal:
    currency: str
    debit: Decimal
    credit: Decimal

    @property
    def is_balanced(self) -> bool:
        return self.debit == self.credit


@dataclass(frozen=True)
class TrialBalance:
    book: BookInfo
    as_of: dt.date
    rows: tuple[TrialBalanceRow, ...]
    totals: tuple[TrialBalanceTotal, ...]

    @property
    def is_balanced(self) -> bool:
        return all(total.is_balanced for total in self.totals)


def trial_balance(
    *, book_id: int, as_of: dt.date, currency: str | None = None
) -> TrialBalance | None:
    """Every account's balance from postings dated on or before ``as_of`` (shards folded into
    their parent), in a debit or credit column, with per-currency totals (equal in a sound
    book)."""
    book = book_get(book_id=book_id)
    if book is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT r.id, r.code, r.name, r.type, r.currency,
                   coalesce(sum(CASE WHEN p.direction = 'D' THEN p.amount_minor
                                     ELSE -p.amount_minor END), 0) AS debit_net
              FROM ledger_account r
              JOIN ledger_account a ON a.id = r.id OR a.parent_id = r.id
              LEFT JOIN ledger_posting p ON p.account_id = a.id AND p.effective_date <= %s
             WHERE r.book_id = %s AND r.parent_id IS NULL
               AND (%s::text IS NULL OR r.currency = %s::text)
             GROUP BY r.id
             ORDER BY r.currency, r.code
            """,
            [as_of, book_id, currency, currency],
        )
        raw = cursor.fetchall()
    rows = []
    totals: dict[str, list[int]] = {}
    for account_id, code, name, account_type, ccy, debit_net in raw:
        debit = max(debit_net, 0)
        credit = max(-debit_net, 0)
        total = totals.setdefault(ccy, [0, 0])
        total[0] += debit
        total[1] += credit
        rows.append(
            TrialBalanceRow(
                account_id=account_id,
                code=code,
                name=name,
                type=account_type,
                currency=ccy,
                debit=from_minor(debit, ccy),
                credit=from_minor(credit, ccy),
            )
        )
    return TrialBalance(
        book=book,
        as_of=as_of,
        rows=tuple(rows),
        totals=tuple(
            TrialBalanceTotal(ccy, from_minor(d, ccy), from_minor(c, ccy))
            for ccy, (d, c) in sorted(totals.items())
        ),
    )
