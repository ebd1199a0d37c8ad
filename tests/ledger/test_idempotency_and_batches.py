"""Idempotency keys and batches of entries: replays, conflicts, all or nothing."""

from __future__ import annotations

import pytest

from ledger import errors, selectors, services
from ledger.types import AccountInfo, BookInfo, Direction, EntrySpec, Line
from tests.ledger.support import DAY, balance, fund, state

pytestmark = pytest.mark.django_db(transaction=True)

# --- idempotency -----------------------------------------------------------------------------


def test_same_key_same_content_returns_the_original(
    book: BookInfo, accounts: dict[str, AccountInfo]
) -> None:
    first = fund(book, accounts)
    before = state()
    again = fund(book, accounts)
    assert again.replayed is True
    assert again.id == first.id
    assert [p.id for p in again.postings] == [p.id for p in first.postings]
    assert state() == before


def test_same_key_different_content_names_the_difference(
    book: BookInfo, accounts: dict[str, AccountInfo]
) -> None:
    fund(book, accounts)
    before = state()
    with pytest.raises(errors.IdempotencyConflict) as caught:
        fund(book, accounts, amount_minor=10001)
    assert caught.value.details["differences"] == ["lines"]
    with pytest.raises(errors.IdempotencyConflict) as caught:
        services.entry_post(
            book_id=book.id,
            kind="other.kind",
            idempotency_key="f1",
            memo="changed",
            effective_date=DAY,
            lines=[
                Line(accounts["cash"].id, Direction.DEBIT, 10000),
                Line(accounts["funding"].id, Direction.CREDIT, 10000),
            ],
        )
    assert caught.value.details["differences"] == ["kind", "memo"]
    assert state() == before


def test_same_key_in_another_book_is_a_different_entry(
    book: BookInfo, accounts: dict[str, AccountInfo]
) -> None:
    fund(book, accounts)
    other = services.book_open(code="other-2")
    cash = services.account_open(book_id=other.id, code="cash", currency="USD", type="asset")
    funding = services.account_open(
        book_id=other.id, code="funding", currency="USD", type="liability"
    )
    entry = services.entry_post(
        book_id=other.id,
        kind="funding.received",
        idempotency_key="f1",
        lines=[Line(cash.id, Direction.DEBIT, 100), Line(funding.id, Direction.CREDIT, 100)],
    )
    assert entry.replayed is False


# --- batches ---------------------------------------------------------------------------------


def test_batch_posts_all_in_order(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    specs = [
        EntrySpec(
            book_id=book.id,
            kind="funding.received",
            idempotency_key=f"b{i}",
            effective_date=DAY,
            lines=[
                Line(accounts["cash"].id, Direction.DEBIT, i * 100),
                Line(accounts["funding"].id, Direction.CREDIT, i * 100),
            ],
        )
        for i in range(1, 6)
    ]
    result = services.entries_post(entries=specs)
    assert [e.idempotency_key for e in result] == [f"b{i}" for i in range(1, 6)]
    assert [str(e.postings[0].balance_after) for e in result] == [
        "1.00",
        "3.00",
        "6.00",
        "10.00",
        "15.00",
    ]
    assert balance(accounts["funding"]) == "15.00 v5"
    # Replaying the whole batch changes nothing and returns the same entries.
    before = state()
    again = services.entries_post(entries=specs)
    assert [e.id for e in again] == [e.id for e in result]
    assert all(e.replayed for e in again)
    assert state() == before


def test_batch_is_all_or_nothing(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    good = EntrySpec(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="good",
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, 500),
            Line(accounts["funding"].id, Direction.CREDIT, 500),
        ],
    )
    overdraw = EntrySpec(
        book_id=book.id,
        kind="earning",
        idempotency_key="bad",
        lines=[
            Line(accounts["funding"].id, Direction.DEBIT, 600),
            Line(accounts["available"].id, Direction.CREDIT, 600),
        ],
    )
    before = state()
    with pytest.raises(errors.BelowFloor):
        services.entries_post(entries=[good, overdraw])
    assert state() == before


def test_batch_with_a_replayed_entry_and_new_ones(
    book: BookInfo, accounts: dict[str, AccountInfo]
) -> None:
    first = fund(book, accounts, 1000, key="a")
    later = EntrySpec(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="b",
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, 100),
            Line(accounts["funding"].id, Direction.CREDIT, 100),
        ],
    )
    again = EntrySpec(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="a",
        effective_date=DAY,
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, 1000),
            Line(accounts["funding"].id, Direction.CREDIT, 1000),
        ],
    )
    result = services.entries_post(entries=[again, later])
    assert result[0].id == first.id and result[0].replayed
    assert result[1].replayed is False
    assert [str(p.balance_after) for p in result[1].postings] == ["11.00", "11.00"]
    assert selectors.ledger_drift(book_id=book.id) == []


def test_duplicate_keys_within_a_batch(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    spec = EntrySpec(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="dup",
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, 100),
            Line(accounts["funding"].id, Direction.CREDIT, 100),
        ],
    )
    result = services.entries_post(entries=[spec, spec])
    assert result[0].id == result[1].id
    assert balance(accounts["cash"]) == "1.00 v1"
    changed = EntrySpec(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="dup2",
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, 200),
            Line(accounts["funding"].id, Direction.CREDIT, 200),
        ],
    )
    before = state()
    with pytest.raises(errors.IdempotencyConflict):
        services.entries_post(entries=[changed, EntrySpec(**{**changed.__dict__, "memo": "x"})])
    assert state() == before
