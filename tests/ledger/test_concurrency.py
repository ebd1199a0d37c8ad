"""Concurrency with real threads, each on its own database connection, committing for real."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from core.errors import DomainError
from ledger import selectors, services
from ledger.types import AccountInfo, BookInfo, Direction, Line

pytestmark = pytest.mark.django_db(transaction=True)


def run_threads(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` in ``count`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def target(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - collected and asserted on by the test
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def test_many_writers_drain_a_floored_account_exactly(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    cash = open_account("cash", "asset")
    funding = open_account("funding", "liability", floor="0")
    payee = open_account("payee:1:available", "liability", floor="0")
    services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="fund",
        lines=[Line(cash.id, Direction.DEBIT, 10000), Line(funding.id, Direction.CREDIT, 10000)],
    )

    def drain(index: int) -> int:
        entry = services.entry_post(
            book_id=book.id,
            kind="earning.credited",
            idempotency_key=f"earn-{index}",
            lines=[Line(funding.id, Direction.DEBIT, 700), Line(payee.id, Direction.CREDIT, 700)],
        )
        return entry.id

    results = run_threads(24, drain)
    outcomes = Counter("ok" if isinstance(r, int) else getattr(r, "code", repr(r)) for r in results)
    assert outcomes == {"ok": 14, "below_floor": 10}  # 14 x 7.00 = 98.00 fits in 100.00
    assert str(selectors.account_balance(account_id=funding.id).amount) == "2.00"
    assert str(selectors.account_balance(account_id=payee.id).amount) == "98.00"
    assert selectors.account_balance(account_id=funding.id).version == 15
    assert selectors.ledger_drift(book_id=book.id) == []


def test_writers_crossing_accounts_in_opposite_orders_never_deadlock(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    a = open_account("a", "asset")
    b = open_account("b", "asset")
    c = open_account("c", "asset")

    def cross(index: int) -> int:
        # Lines name the accounts in different orders; the service locks in id order.
        orders = [(a, b, c), (c, b, a), (b, c, a), (c, a, b)]
        first, second, third = orders[index % 4]
        for n in range(25):
            services.entry_post(
                book_id=book.id,
                kind="transfer",
                idempotency_key=f"x-{index}-{n}",
                lines=[
                    Line(first.id, Direction.DEBIT, 200),
                    Line(second.id, Direction.CREDIT, 100),
                    Line(third.id, Direction.CREDIT, 100),
                ],
            )
        return n + 1

    results = run_threads(8, cross)
    assert results == [25] * 8, [r for r in results if not isinstance(r, int)]
    assert sum(selectors.account_balance(account_id=x.id).version for x in (a, b, c)) == 8 * 25 * 3
    assert selectors.ledger_drift(book_id=book.id) == []


def test_batches_crossing_accounts_never_deadlock(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    from ledger.types import EntrySpec

    accounts = [open_account(f"acct-{i}", "asset") for i in range(6)]

    def batch(index: int) -> int:
        ring = accounts[index % 6 :] + accounts[: index % 6]
        if index % 2:
            ring.reverse()
        specs = [
            EntrySpec(
                book_id=book.id,
                kind="transfer",
                idempotency_key=f"batch-{index}-{n}",
                lines=[
                    Line(ring[n].id, Direction.DEBIT, 100),
                    Line(ring[n + 1].id, Direction.CREDIT, 100),
                ],
            )
            for n in range(5)
        ]
        return len(services.entries_post(entries=specs))

    results = run_threads(8, batch)
    assert results == [5] * 8, results
    assert selectors.ledger_drift(book_id=book.id) == []


def test_concurrent_duplicates_give_exactly_one_entry(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    cash = open_account("cash", "asset")
    funding = open_account("funding", "liability", floor="0")

    def post(_: int) -> tuple[int, bool]:
        entry = services.entry_post(
            book_id=book.id,
            kind="funding.received",
            idempotency_key="same-key",
            lines=[Line(cash.id, Direction.DEBIT, 1000), Line(funding.id, Direction.CREDIT, 1000)],
        )
        return entry.id, entry.replayed

    results = run_threads(16, post)
    assert all(isinstance(r, tuple) for r in results), results
    assert len({entry_id for entry_id, _ in results}) == 1
    assert sorted(replayed for _, replayed in results) == [False] + [True] * 15
    assert str(selectors.account_balance(account_id=cash.id).amount) == "10.00"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_entry WHERE book_id = %s", [book.id])
        assert cursor.fetchone()[0] == 1


def test_concurrent_duplicates_with_different_content_give_one_entry_and_conflicts(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    cash = open_account("cash", "asset")
    funding = open_account("funding", "liability", floor="0")

    def post(index: int) -> int:
        amount = 1000 if index % 2 else 2000
        return services.entry_post(
            book_id=book.id,
            kind="funding.received",
            idempotency_key="contested",
            lines=[
                Line(cash.id, Direction.DEBIT, amount),
                Line(funding.id, Direction.CREDIT, amount),
            ],
        ).id

    results = run_threads(10, post)
    ids = {r for r in results if isinstance(r, int)}
    failures = [r for r in results if not isinstance(r, int)]
    assert len(ids) == 1
    assert len(failures) == 5
    assert all(isinstance(f, DomainError) and f.code == "idempotency_conflict" for f in failures)


def test_concurrent_batches_sharing_keys_replay_instead_of_failing(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    from ledger.types import EntrySpec

    cash = open_account("cash", "asset")
    funding = open_account("funding", "liability")
    specs = [
        EntrySpec(
            book_id=book.id,
            kind="funding.received",
            idempotency_key=f"shared-{n}",
            lines=[Line(cash.id, Direction.DEBIT, 100), Line(funding.id, Direction.CREDIT, 100)],
        )
        for n in range(20)
    ]

    results = run_threads(
        6, lambda i: [e.id for e in services.entries_post(entries=specs[i % 3 :])]
    )
    assert all(isinstance(r, list) for r in results), results
    assert str(selectors.account_balance(account_id=cash.id).amount) == "20.00"
    assert selectors.ledger_drift(book_id=book.id) == []


def test_period_close_waits_for_entries_in_flight(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    import datetime as dt

    cash = open_account("cash", "asset")
    funding = open_account("funding", "liability")
    day = dt.date(2026, 11, 20)

    def work(index: int) -> str:
        if index == 0:
            services.period_close(book_id=book.id, through=day)
            return "closed"
        try:
            services.entry_post(
                book_id=book.id,
                kind="funding.received",
                idempotency_key=f"p-{index}",
                effective_date=day,
                lines=[
                    Line(cash.id, Direction.DEBIT, 100),
                    Line(funding.id, Direction.CREDIT, 100),
                ],
            )
        except DomainError as exc:
            return exc.code
        return "posted"

    results = run_threads(12, work)
    assert results[0] == "closed"
    assert set(results[1:]) <= {"posted", "period_closed"}
    with connection.cursor() as cursor:
        # Every entry that made it in was recorded before the close committed.
        cursor.execute("SELECT count(*) FROM ledger_entry WHERE book_id = %s", [book.id])
        posted = cursor.fetchone()[0]
    assert posted == results.count("posted")
    assert selectors.ledger_drift(book_id=book.id) == []


def test_writers_on_a_sharded_hot_account(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> None:
    fees = services.account_open(
        book_id=book.id, code="fees", currency="USD", type="revenue", shards=8
    )
    cash = [open_account(f"cash-{i}", "asset") for i in range(6)]

    def write(index: int) -> int:
        for n in range(30):
            services.entry_post(
                book_id=book.id,
                kind="fee",
                idempotency_key=f"fee-{index}-{n}",
                lines=[
                    Line(cash[index].id, Direction.DEBIT, 10),
                    Line(fees.id, Direction.CREDIT, 10),
                ],
            )
        return 30

    assert run_threads(6, write) == [30] * 6
    total = selectors.account_balance(account_id=fees.id)
    assert (str(total.amount), total.version) == ("18.00", 180)
    assert selectors.ledger_drift(book_id=book.id) == []
