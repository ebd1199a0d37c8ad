"""Each ledger invariant (docs/architecture.md), attacked with raw SQL and refused by PostgreSQL.

These tests commit for real (``transaction=True``): the balance check is a deferred trigger that
fires only at commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import Error as DatabaseError
from django.db import connection, connections, transaction

from ledger import selectors, services
from ledger.types import AccountInfo, BookInfo, Direction, Line

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2026, 11, 23)


def sql(
    query: str, params: list[Any] | None = None, *, using: str = "default"
) -> list[tuple[Any, ...]]:
    """Run raw SQL in its own committed transaction, as the application role (``default``) or
    as the owner of the tables (``owner``)."""
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        cursor.execute(query, params or [])
        return cursor.fetchall() if cursor.description else []


def snapshot() -> tuple[Any, ...]:
    return (
        sql("SELECT count(*) FROM ledger_entry")[0][0],
        sql("SELECT count(*) FROM ledger_posting")[0][0],
        tuple(sql("SELECT id, balance_minor, version FROM ledger_account ORDER BY id")),
        tuple(sql("SELECT id, closed_through FROM ledger_book ORDER BY id")),
    )


@pytest.fixture
def funded(
    book: BookInfo, open_account: Callable[..., AccountInfo]
) -> tuple[BookInfo, AccountInfo, AccountInfo]:
    cash = open_account("cash", "asset")
    funding = open_account("funding", "liability", floor="0")
    services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="fund-1",
        effective_date=TODAY,
        lines=[Line(cash.id, Direction.DEBIT, 10000), Line(funding.id, Direction.CREDIT, 10000)],
    )
    return book, cash, funding


def insert_entry(
    book_id: int, *, line_count: int = 2, date: dt.date = TODAY, key: str = "raw"
) -> str:
    return (
        "INSERT INTO ledger_entry (book_id, kind, memo, effective_date, idempotency_key, metadata,"
        f" refs, line_count) VALUES ({book_id}, 'raw', '', '{date.isoformat()}', '{key}', '{{}}',"
        f" '{{}}', {line_count}) RETURNING id"
    )


def posting_values(
    entry: str,
    account: AccountInfo,
    direction: str,
    amount: int,
    balance: int,
    version: int,
    *,
    book_id: int | None = None,
    currency: str | None = None,
    date: dt.date = TODAY,
) -> str:
    return (
        f"(({entry}), {account.id}, {book_id or account.book_id}, '{currency or account.currency}',"
        f" '{date.isoformat()}', '{direction}', {amount}, {balance}, {version})"
    )


POSTING_COLUMNS = (
    "INSERT INTO ledger_posting (entry_id, account_id, book_id, currency, effective_date,"
    " direction, amount_minor, balance_after_minor, version_after) VALUES "
)


def raw_entry(book: BookInfo, *rows: str, line_count: int | None = None, key: str = "raw") -> None:
    """One transaction: an entry and its postings, each posting row referring to the entry."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(insert_entry(book.id, line_count=line_count or len(rows), key=key))
        entry_id = cursor.fetchone()[0]
        cursor.execute(
            POSTING_COLUMNS + ", ".join(r.replace("(ENTRY)", str(entry_id)) for r in rows)
        )


# --- 2. append-only ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE ledger_posting SET amount_minor = amount_minor + 1",
        "DELETE FROM ledger_posting",
        "UPDATE ledger_entry SET memo = 'edited'",
        "DELETE FROM ledger_entry",
    ],
)
@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_entries_and_postings_are_append_only(funded: Any, statement: str) -> None:
    # The application role may not even send these (tests/core/db/test_roles.py); the owner,
    # who may, is refused by the triggers.
    before = snapshot()
    with pytest.raises(DatabaseError, match="append-only"):
        sql(statement, using="owner")
    assert snapshot() == before


# --- 1. balanced at commit -----------------------------------------------------------------


def test_unbalanced_entry_is_refused_at_commit(funded: Any) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="does not balance"):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "D", 500, 10500, 2),
            posting_values("(ENTRY)", funding, "C", 400, 10400, 2),
        )
    assert snapshot() == before


def test_unbalanced_entry_refused_even_when_lines_arrive_one_statement_at_a_time(
    funded: Any,
) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="does not balance"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(insert_entry(book.id))
            entry_id = cursor.fetchone()[0]
            cursor.execute(
                POSTING_COLUMNS + posting_values(str(entry_id), cash, "D", 500, 10500, 2)
            )
            cursor.execute(
                POSTING_COLUMNS + posting_values(str(entry_id), funding, "C", 499, 10499, 2)
            )
    assert snapshot() == before


def test_entry_without_postings_is_refused_at_commit(funded: Any) -> None:
    book, _, _ = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="declares 2 lines but has 0"):
        sql(insert_entry(book.id))
    assert snapshot() == before


def test_balanced_raw_entry_commits_and_moves_balances(funded: Any) -> None:
    """The raw path works when it tells the truth, and the database moves the balances."""
    book, cash, funding = funded
    raw_entry(
        book,
        posting_values("(ENTRY)", cash, "D", 500, 10500, 2),
        posting_values("(ENTRY)", funding, "C", 500, 10500, 2),
    )
    assert str(selectors.account_balance(account_id=cash.id).amount) == "105.00"
    assert selectors.account_balance(account_id=funding.id).version == 2
    assert selectors.ledger_drift(book_id=book.id) == []


def test_postings_cannot_be_added_to_a_committed_entry(funded: Any) -> None:
    book, cash, funding = funded
    entry_id = sql("SELECT id FROM ledger_entry WHERE idempotency_key = 'fund-1'")[0][0]
    before = snapshot()
    with pytest.raises(DatabaseError, match="postings cannot be added"):
        sql(
            POSTING_COLUMNS
            + posting_values(str(entry_id), cash, "D", 1, 10001, 2)
            + ", "
            + posting_values(str(entry_id), funding, "C", 1, 10001, 2)
        )
    assert snapshot() == before


# --- 3. currency and book ------------------------------------------------------------------


def test_posting_currency_must_be_its_accounts(funded: Any) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="not in the book and currency of its account"):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "D", 500, 10500, 2, currency="EUR"),
            posting_values("(ENTRY)", funding, "C", 500, 10500, 2, currency="EUR"),
        )
    assert snapshot() == before


def test_posting_must_be_in_its_accounts_book(funded: Any) -> None:
    book, cash, funding = funded
    other = services.book_open(code="other-book")
    before = snapshot()
    # The entry is in the other book; the postings claim that book but name this book's accounts.
    with pytest.raises(DatabaseError, match="not in the book and currency of its account"):
        raw_entry(
            other,
            posting_values("(ENTRY)", cash, "D", 500, 10500, 2, book_id=other.id),
            posting_values("(ENTRY)", funding, "C", 500, 10500, 2, book_id=other.id),
        )
    assert snapshot() == before


def test_posting_must_be_in_its_entrys_book(funded: Any) -> None:
    book, cash, funding = funded
    other = services.book_open(code="other-book-2")
    before = snapshot()
    # The postings match their accounts' book, but the entry lives in another book.
    with pytest.raises(DatabaseError, match="not in its entry's book"):
        raw_entry(
            other,
            posting_values("(ENTRY)", cash, "D", 500, 10500, 2),
            posting_values("(ENTRY)", funding, "C", 500, 10500, 2),
        )
    assert snapshot() == before


def test_account_identity_never_changes(funded: Any) -> None:
    _, cash, _ = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="never change"):
        sql("UPDATE ledger_account SET currency = 'EUR' WHERE id = %s", [cash.id])
    assert snapshot() == before


# --- 4. balances move with postings, and only with them --------------------------------------


def test_stored_balance_cannot_be_edited(funded: Any) -> None:
    _, cash, _ = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="moves only by posting"):
        sql("UPDATE ledger_account SET balance_minor = 999999 WHERE id = %s", [cash.id])
    with pytest.raises(DatabaseError, match="moves only by posting"):
        sql("UPDATE ledger_account SET version = version + 1 WHERE id = %s", [cash.id])
    assert snapshot() == before


def test_account_cannot_open_with_a_balance(book: BookInfo) -> None:
    with pytest.raises(DatabaseError, match="must open with balance 0"):
        sql(
            "INSERT INTO ledger_account (book_id, code, currency, name, type, metadata,"
            " balance_minor, version) VALUES (%s, 'x', 'USD', 'x', 'asset', '{}', 100, 0)",
            [book.id],
        )
    assert sql("SELECT count(*) FROM ledger_account WHERE code = 'x'")[0][0] == 0


def test_accounts_and_books_cannot_be_deleted(funded: Any) -> None:
    book, cash, _ = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="cannot be deleted"):
        sql("DELETE FROM ledger_account WHERE id = %s", [cash.id])
    with pytest.raises(DatabaseError, match="cannot be deleted"):
        sql("DELETE FROM ledger_book WHERE id = %s", [book.id])
    assert snapshot() == before


@pytest.mark.parametrize(
    ("balance", "version"),
    [(10499, 2), (10500, 3), (10500, 7)],
    ids=["wrong-running-balance", "skipped-version", "far-version"],
)
def test_running_balance_and_version_must_be_the_accounts(
    funded: Any, balance: int, version: int
) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="but the account is at balance"):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "D", 500, balance, version),
            posting_values("(ENTRY)", funding, "C", 500, 10500, 2),
        )
    assert snapshot() == before


# --- 5. floors -----------------------------------------------------------------------------


def test_balance_cannot_be_pushed_below_floor(funded: Any) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="floor"):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "C", 10001, -1, 2),
            posting_values("(ENTRY)", funding, "D", 10001, -1, 2),
        )
    assert snapshot() == before


# --- 6. exact money ------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["12.5", "0", "-100"])
def test_amounts_are_positive_integers_of_minor_units(funded: Any, amount: str) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "D", amount, 10000, 2),
            posting_values("(ENTRY)", funding, "C", amount, 10000, 2),
        )
    assert snapshot() == before


# --- 7. closed periods ---------------------------------------------------------------------


def test_no_entry_in_a_closed_period(funded: Any) -> None:
    book, cash, funding = funded
    services.period_close(book_id=book.id, through=TODAY)
    before = snapshot()
    with pytest.raises(DatabaseError, match="in a period closed through"):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "D", 500, 10500, 2),
            posting_values("(ENTRY)", funding, "C", 500, 10500, 2),
        )
    assert snapshot() == before


def test_closed_period_never_reopens(funded: Any) -> None:
    book, _, _ = funded
    services.period_close(book_id=book.id, through=TODAY)
    before = snapshot()
    with pytest.raises(DatabaseError, match="never reopens"):
        sql("UPDATE ledger_book SET closed_through = NULL WHERE id = %s", [book.id])
    with pytest.raises(DatabaseError, match="never reopens"):
        sql(
            "UPDATE ledger_book SET closed_through = %s WHERE id = %s",
            [TODAY - dt.timedelta(days=1), book.id],
        )
    assert snapshot() == before


# --- idempotency key -------------------------------------------------------------------------


def test_idempotency_key_is_unique_per_book(funded: Any) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="ledger_entry_idempotency_unique"):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "D", 500, 10500, 2),
            posting_values("(ENTRY)", funding, "C", 500, 10500, 2),
            key="fund-1",
        )
    assert snapshot() == before


def test_an_entry_is_reversed_at_most_once(funded: Any) -> None:
    book, _, _ = funded
    entry_id = sql("SELECT id FROM ledger_entry WHERE idempotency_key = 'fund-1'")[0][0]
    services.entry_reverse(entry_id=entry_id)
    before = snapshot()
    with pytest.raises(DatabaseError, match="reverses_id"):
        sql(
            "INSERT INTO ledger_entry (book_id, kind, memo, effective_date, idempotency_key,"
            " metadata, refs, line_count, reverses_id) VALUES (%s, 'x', '', %s, 'again', '{}',"
            " '{}', 2, %s)",
            [book.id, TODAY, entry_id],
        )
    assert snapshot() == before


def test_shards_keep_their_parent(book: BookInfo) -> None:
    fees = services.account_open(
        book_id=book.id, code="fees", currency="USD", type="revenue", shards=2
    )
    other = services.account_open(book_id=book.id, code="other", currency="USD", type="revenue")
    with pytest.raises(DatabaseError, match="never change"):
        sql("UPDATE ledger_account SET parent_id = %s WHERE parent_id = %s", [other.id, fees.id])
    with pytest.raises(DatabaseError, match="ledger_account_shard_of_parent"):
        sql(
            "INSERT INTO ledger_account (book_id, code, currency, name, type, metadata, parent_id)"
            " VALUES (%s, 'fees#9', 'EUR', 'x', 'revenue', '{}', %s)",
            [book.id, fees.id],
        )
    with pytest.raises(DatabaseError, match="ledger_account_sharded_has_no_floor"):
        sql(
            "INSERT INTO ledger_account (book_id, code, currency, name, type, metadata, parent_id,"
            " floor_minor) VALUES (%s, 'fees#8', 'USD', 'x', 'revenue', '{}', %s, 0)",
            [book.id, fees.id],
        )


def test_keys_are_checked(funded: Any) -> None:
    book, cash, funding = funded
    before = snapshot()
    with pytest.raises(DatabaseError, match="account 987654, which does not exist"):
        raw_entry(
            book,
            posting_values("(ENTRY)", cash, "D", 500, 10500, 2),
            posting_values("(ENTRY)", funding, "C", 500, 10500, 2).replace(
                f"), {funding.id}, ", "), 987654, ", 1
            ),
        )
    with pytest.raises(DatabaseError, match="book 987654 does not exist"):
        sql(insert_entry(987654))
    with pytest.raises(DatabaseError, match="entry 987654, which does not exist"):
        sql(
            POSTING_COLUMNS
            + posting_values("987654", cash, "D", 500, 10500, 2)
            + ", "
            + posting_values("987654", funding, "C", 500, 10500, 2)
        )
    with pytest.raises(DatabaseError, match="does not reverse an entry of its own book"):
        sql(
            "INSERT INTO ledger_entry (book_id, kind, memo, effective_date, idempotency_key,"
            " metadata, refs, line_count, reverses_id) VALUES (%s, 'x', '', %s, 'rev', '{}',"
            " '{}', 2, 987654)",
            [book.id, TODAY],
        )
    assert snapshot() == before
