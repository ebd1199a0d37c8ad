"""The ledger's reads: balances as of a recorded time, statements, trial balances, balances by
code."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from ledger import selectors, services
from ledger.types import AccountInfo, BookInfo, Direction, Line
from tests.ledger.support import DAY, fund

pytestmark = pytest.mark.django_db(transaction=True)

# --- selectors -------------------------------------------------------------------------------


def test_balance_as_of_a_recorded_time(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    first = fund(book, accounts, 1000, key="a")
    second = fund(book, accounts, 500, key="b")
    cash = accounts["cash"].id
    before_any = first.recorded_at - dt.timedelta(seconds=1)
    assert selectors.account_balance_as_of(account_id=cash, at=before_any).amount == Decimal("0.00")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT recorded_at FROM ledger_posting WHERE account_id = %s ORDER BY version_after",
            [cash],
        )
        first_at, second_at = (row[0] for row in cursor.fetchall())
    assert first.recorded_at <= first_at < second.recorded_at <= second_at
    mid = selectors.account_balance_as_of(account_id=cash, at=first_at)
    assert (str(mid.amount), mid.version) == ("10.00", 1)
    before_second = selectors.account_balance_as_of(
        account_id=cash, at=second_at - dt.timedelta(microseconds=1)
    )
    assert (str(before_second.amount), before_second.version) == ("10.00", 1)
    at_end = selectors.account_balance_as_of(
        account_id=cash, at=second.recorded_at + dt.timedelta(seconds=1)
    )
    assert (str(at_end.amount), at_end.version) == ("15.00", 2)
    assert selectors.account_balance_as_of(account_id=424242, at=second.recorded_at) is None


def test_statement_and_trial_balance(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="d1",
        effective_date=DAY - dt.timedelta(days=3),
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, 5000),
            Line(accounts["funding"].id, Direction.CREDIT, 5000),
        ],
    )
    fund(book, accounts, 2000, key="d2")
    services.entry_post(
        book_id=book.id,
        kind="earning.credited",
        idempotency_key="d3",
        effective_date=DAY + dt.timedelta(days=1),
        lines=[
            Line(accounts["funding"].id, Direction.DEBIT, 3000),
            Line(accounts["available"].id, Direction.CREDIT, 3000),
        ],
    )
    statement = selectors.account_statement(
        account_id=accounts["funding"].id, date_from=DAY, date_to=DAY + dt.timedelta(days=5)
    )
    assert statement is not None
    assert str(statement.opening_balance) == "50.00"
    assert [(line.direction, str(line.amount), str(line.balance)) for line in statement.lines] == [
        (Direction.CREDIT, "20.00", "70.00"),
        (Direction.DEBIT, "30.00", "40.00"),
    ]
    assert (
        str(statement.total_debits),
        str(statement.total_credits),
        str(statement.closing_balance),
    ) == (
        "30.00",
        "20.00",
        "40.00",
    )
    empty_start = selectors.account_statement(
        account_id=accounts["available"].id, date_from=DAY, date_to=DAY + dt.timedelta(days=5)
    )
    assert str(empty_start.opening_balance) == "0.00"  # a liability with nothing before: not -0.00
    assert str(empty_start.closing_balance) == "30.00"
    trial = selectors.trial_balance(book_id=book.id, as_of=DAY, currency="USD")
    assert trial is not None
    assert {(r.code, str(r.debit), str(r.credit)) for r in trial.rows} == {
        ("cash", "70.00", "0.00"),
        ("funding", "0.00", "70.00"),
        ("payee:1:available", "0.00", "0.00"),
    }
    assert trial.is_balanced
    assert [(t.currency, str(t.debit), str(t.credit)) for t in trial.totals] == [
        ("USD", "70.00", "70.00")
    ]
    later = selectors.trial_balance(book_id=book.id, as_of=DAY + dt.timedelta(days=1))
    assert later is not None and later.is_balanced
    assert {(r.code, r.currency, str(r.credit)) for r in later.rows if r.credit} == {
        ("funding", "USD", "40.00"),
        ("payee:1:available", "USD", "30.00"),
    }
