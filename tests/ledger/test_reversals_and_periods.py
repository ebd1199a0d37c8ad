"""Reversals and closed periods."""

from __future__ import annotations

import datetime as dt

import pytest

from ledger import errors, services
from ledger.types import AccountInfo, BookInfo, Direction, Line
from tests.ledger.support import DAY, balance, fund, post, state

pytestmark = pytest.mark.django_db(transaction=True)

# --- reversals and periods -------------------------------------------------------------------


def test_reversal_mirrors_the_entry_once(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    entry = fund(book, accounts)
    reversal = services.entry_reverse(entry_id=entry.id)
    assert reversal.reverses_id == entry.id
    assert [(p.account_id, p.direction, str(p.amount)) for p in reversal.postings] == [
        (accounts["cash"].id, Direction.CREDIT, "100.00"),
        (accounts["funding"].id, Direction.DEBIT, "100.00"),
    ]
    assert balance(accounts["cash"]) == "0.00 v2"
    assert services.entry_reverse(entry_id=entry.id).id == reversal.id  # replay
    before = state()
    with pytest.raises(errors.AlreadyReversed):
        services.entry_reverse(entry_id=entry.id, idempotency_key="second-try")
    with pytest.raises(errors.EntryNotFound):
        services.entry_reverse(entry_id=987654)
    assert state() == before


def test_reversal_respects_floors(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    entry = fund(book, accounts, 1000)
    post(
        book,
        [
            Line(accounts["funding"].id, Direction.DEBIT, 1000),
            Line(accounts["available"].id, Direction.CREDIT, 1000),
        ],
    )
    before = state()
    with pytest.raises(errors.BelowFloor):
        services.entry_reverse(entry_id=entry.id)
    assert state() == before


def test_period_close(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    entry = fund(book, accounts)
    closed = services.period_close(book_id=book.id, through=DAY)
    assert closed.closed_through == DAY
    before = state()
    with pytest.raises(errors.PeriodClosed):
        fund(book, accounts, key="late")  # dated DAY
    with pytest.raises(errors.PeriodClosed):
        services.period_close(book_id=book.id, through=DAY - dt.timedelta(days=1))
    with pytest.raises(errors.BookNotFound):
        services.period_close(book_id=424242, through=DAY)
    assert state() == before
    assert services.period_close(book_id=book.id, through=DAY).closed_through == DAY
    # A correction of a closed-period entry is dated in the open period.
    reversal = services.entry_reverse(entry_id=entry.id, effective_date=DAY + dt.timedelta(days=1))
    assert reversal.effective_date == DAY + dt.timedelta(days=1)
