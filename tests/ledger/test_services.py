"""The ledger services: exact results on success, typed errors and no change on failure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from moneyed import Money

from core.errors import DomainError
from ledger import errors, selectors, services
from ledger.money import from_minor, to_minor
from ledger.types import AccountInfo, BookInfo, Direction, EntrySpec, Line

pytestmark = pytest.mark.django_db(transaction=True)

DAY = dt.date(2026, 11, 2)


def state() -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_entry")
        entries = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM ledger_posting")
        postings = cursor.fetchone()[0]
        cursor.execute("SELECT id, balance_minor, version FROM ledger_account ORDER BY id")
        accounts = tuple(cursor.fetchall())
    return entries, postings, accounts


@pytest.fixture
def accounts(open_account: Callable[..., AccountInfo]) -> dict[str, AccountInfo]:
    return {
        "cash": open_account("cash", "asset"),
        "funding": open_account("funding", "liability", floor="0"),
        "available": open_account("payee:1:available", "liability", floor="0"),
        "eur_cash": open_account("cash", "asset", currency="EUR"),
        "eur_funding": open_account("funding", "liability", currency="EUR"),
        "jpy_cash": open_account("cash", "asset", currency="JPY"),
        "jpy_funding": open_account("funding", "liability", currency="JPY"),
    }


def fund(
    book: BookInfo, accounts: dict[str, AccountInfo], amount_minor: int = 10000, key: str = "f1"
):
    return services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key=key,
        effective_date=DAY,
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, amount_minor),
            Line(accounts["funding"].id, Direction.CREDIT, amount_minor),
        ],
    )


def balance(account: AccountInfo) -> str:
    result = selectors.account_balance(account_id=account.id)
    assert result is not None
    return f"{result.amount} v{result.version}"


# --- money ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("25.00", "USD", 2500),
        ("25", "USD", 2500),
        ("0.5", "USD", 50),
        ("1500", "JPY", 1500),
        ("1.234", "BHD", 1234),
        (Decimal("7.10"), "EUR", 710),
        (12, "USD", 1200),
        (Money("3.10", "USD"), "USD", 310),
    ],
)
def test_to_minor_is_exact(amount: Any, currency: str, minor: int) -> None:
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency", "code"),
    [
        ("1.001", "USD", "invalid_amount"),
        ("1.5", "JPY", "invalid_amount"),
        ("1.2345", "BHD", "invalid_amount"),
        (1.5, "USD", "invalid_amount"),
        ("abc", "USD", "invalid_amount"),
        ("NaN", "USD", "invalid_amount"),
        ("Infinity", "USD", "invalid_amount"),
        (True, "USD", "invalid_amount"),
        ("1.00", "XYZ", "invalid_currency"),
        ("1.00", "usd", "invalid_currency"),
        (Money("1.00", "EUR"), "USD", "invalid_amount"),
    ],
)
def test_to_minor_rejects_inexact_or_unknown(amount: Any, currency: str, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        to_minor(amount, currency)
    assert caught.value.code == code


def test_from_minor_renders_the_currency_exponent() -> None:
    assert str(from_minor(2500, "USD")) == "25.00"
    assert str(from_minor(1500, "JPY")) == "1500"
    assert str(from_minor(-1, "BHD")) == "-0.001"


# --- posting ---------------------------------------------------------------------------------


def test_entry_post_moves_balances_and_records_running_balances(
    book: BookInfo, accounts: dict[str, AccountInfo]
) -> None:
    entry = fund(book, accounts)
    assert entry.replayed is False
    assert entry.effective_date == DAY
    assert [
        (p.direction, str(p.amount), str(p.balance_after), p.version_after) for p in entry.postings
    ] == [
        (Direction.DEBIT, "100.00", "100.00", 1),
        (Direction.CREDIT, "100.00", "100.00", 1),
    ]
    assert balance(accounts["cash"]) == "100.00 v1"
    assert balance(accounts["funding"]) == "100.00 v1"
    stored = selectors.entry_get(entry_id=entry.id)
    assert stored is not None
    assert [p.id for p in stored.postings] == [p.id for p in entry.postings]
    assert selectors.ledger_drift(book_id=book.id) == []


def test_multi_currency_entry_balances_per_currency(
    book: BookInfo, accounts: dict[str, AccountInfo]
) -> None:
    entry = services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key="multi",
        lines=[
            Line(accounts["eur_cash"].id, Direction.DEBIT, 1000),
            Line(accounts["eur_funding"].id, Direction.CREDIT, 1000),
            Line(accounts["jpy_cash"].id, Direction.DEBIT, 1500),
            Line(accounts["jpy_funding"].id, Direction.CREDIT, 1500),
        ],
    )
    assert len(entry.postings) == 4
    assert balance(accounts["jpy_cash"]) == "1500 v1"


def _post(book: BookInfo, lines: list[Line], key: str = "k", **kwargs: Any) -> Any:
    return services.entry_post(
        book_id=book.id, kind="test", idempotency_key=key, lines=lines, **kwargs
    )


@pytest.mark.parametrize(
    ("make_lines", "code"),
    [
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, 1000),
                Line(a["funding"].id, Direction.CREDIT, 999),
            ],
            "unbalanced_entry",
        ),
        (lambda a: [Line(a["cash"].id, Direction.DEBIT, 1000)], "invalid_entry"),
        (lambda a: [], "invalid_entry"),
        (
            lambda a: [
                Line(a["cash"].id, "sideways", 100),
                Line(a["funding"].id, Direction.CREDIT, 100),
            ],
            "invalid_entry",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, to_minor("1.001", "USD")),
                Line(a["funding"].id, Direction.CREDIT, to_minor("1.001", "USD")),
            ],
            "invalid_amount",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, 1.5),
                Line(a["funding"].id, Direction.CREDIT, 1.5),
            ],
            "invalid_amount",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, 0),
                Line(a["funding"].id, Direction.CREDIT, 0),
            ],
            "invalid_amount",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, -500),
                Line(a["funding"].id, Direction.CREDIT, -500),
            ],
            "invalid_amount",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, 500),
                Line(999999, Direction.CREDIT, 500),
            ],
            "account_not_found",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, 500),
                Line(a["eur_funding"].id, Direction.CREDIT, 500, currency="USD"),
            ],
            "currency_mismatch",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, 500, currency="EUR"),
                Line(a["funding"].id, Direction.CREDIT, 500),
            ],
            "currency_mismatch",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.DEBIT, 500),
                Line(a["eur_funding"].id, Direction.CREDIT, 500),
            ],
            "unbalanced_entry",
        ),
        (
            lambda a: [
                Line(a["cash"].id, Direction.CREDIT, 500),
                Line(a["funding"].id, Direction.DEBIT, 500),
            ],
            "below_floor",
        ),
        (
            lambda a: [Line(a["cash"].id, Direction.DEBIT, 500), Line("x", Direction.CREDIT, 500)],
            "invalid_entry",
        ),
    ],
)
def test_bad_entries_raise_typed_errors_and_change_nothing(
    book: BookInfo, accounts: dict[str, AccountInfo], make_lines: Any, code: str
) -> None:
    before = state()
    with pytest.raises(DomainError) as caught:
        _post(book, make_lines(accounts))
    assert caught.value.code == code
    assert state() == before


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": ""}, "invalid_entry"),
        ({"kind": "k" * 65}, "invalid_entry"),
        ({"idempotency_key": ""}, "invalid_entry"),
        ({"idempotency_key": "x" * 256}, "invalid_entry"),
        ({"effective_date": "2026-01-01"}, "invalid_entry"),
        ({"metadata": {"x": object()}}, "invalid_entry"),
        ({"metadata": []}, "invalid_entry"),
    ],
)
def test_bad_entry_fields_raise_typed_errors(
    book: BookInfo, accounts: dict[str, AccountInfo], kwargs: dict[str, Any], code: str
) -> None:
    before = state()
    params: dict[str, Any] = {
        "book_id": book.id,
        "kind": "test",
        "idempotency_key": "k",
        "lines": [
            Line(accounts["cash"].id, Direction.DEBIT, 100),
            Line(accounts["funding"].id, Direction.CREDIT, 100),
        ],
    }
    params.update(kwargs)
    with pytest.raises(DomainError) as caught:
        services.entry_post(**params)
    assert caught.value.code == code
    assert state() == before


def test_cross_book_posting_is_refused(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    other = services.book_open(code="other")
    other_cash = services.account_open(book_id=other.id, code="cash", currency="USD", type="asset")
    before = state()
    with pytest.raises(errors.CrossBookPosting):
        _post(
            book,
            [
                Line(other_cash.id, Direction.DEBIT, 100),
                Line(accounts["cash"].id, Direction.CREDIT, 100),
            ],
        )
    assert state() == before


def test_below_floor_names_the_account(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    fund(book, accounts, 1000)
    before = state()
    with pytest.raises(errors.BelowFloor) as caught:
        _post(
            book,
            [
                Line(accounts["funding"].id, Direction.DEBIT, 1001),
                Line(accounts["available"].id, Direction.CREDIT, 1001),
            ],
        )
    assert caught.value.details["account_code"] == "funding"
    assert caught.value.details["balance"] == "10.00"
    assert state() == before


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
    _post(
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


# --- books and accounts ----------------------------------------------------------------------


def test_account_open_is_idempotent_and_refuses_conflicts(book: BookInfo) -> None:
    first = services.account_open(book_id=book.id, code="fees", currency="USD", type="revenue")
    assert (
        services.account_open(book_id=book.id, code="fees", currency="USD", type="revenue").id
        == first.id
    )
    with pytest.raises(errors.AccountConflict):
        services.account_open(book_id=book.id, code="fees", currency="USD", type="asset")
    with pytest.raises(errors.AccountConflict):
        services.account_open(
            book_id=book.id, code="fees", currency="USD", type="revenue", floor="0"
        )
    for kwargs, code in [
        ({"currency": "usd"}, "invalid_currency"),
        ({"currency": "ABC"}, "invalid_currency"),
        ({"type": "cash"}, "invalid_input"),
        ({"code": ""}, "invalid_input"),
        ({"floor": "0.001"}, "invalid_amount"),
        ({"book_id": 999999}, "book_not_found"),
    ]:
        params: dict[str, Any] = {
            "book_id": book.id,
            "code": "new",
            "currency": "USD",
            "type": "asset",
        }
        params.update(kwargs)
        with pytest.raises(DomainError) as caught:
            services.account_open(**params)
        assert caught.value.code == code
    assert selectors.account_get(book_id=book.id, code="new", currency="USD") is None


def test_book_open_is_idempotent() -> None:
    assert services.book_open(code="b1").id == services.book_open(code="b1").id
    with pytest.raises(DomainError):
        services.book_open(code="")


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


# --- sharded hot accounts ------------------------------------------------------------------------


def test_sharded_account_spreads_postings_and_reports_one_balance(
    book: BookInfo, accounts: dict[str, AccountInfo]
) -> None:
    fees = services.account_open(
        book_id=book.id, code="fees", currency="USD", type="revenue", shards=4
    )
    assert fees.shard_count == 4
    assert (
        services.account_open(
            book_id=book.id, code="fees", currency="USD", type="revenue", shards=4
        ).id
        == fees.id
    )
    entries = [
        services.entry_post(
            book_id=book.id,
            kind="fee",
            idempotency_key=f"fee-{n}",
            effective_date=DAY,
            lines=[
                Line(accounts["cash"].id, Direction.DEBIT, 125),
                Line(fees.id, Direction.CREDIT, 125),
            ],
        )
        for n in range(40)
    ]
    used = {e.postings[1].account_id for e in entries}
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM ledger_account WHERE parent_id = %s", [fees.id])
        shard_ids = {row[0] for row in cursor.fetchall()}
    assert len(shard_ids) == 4
    assert used <= shard_ids and len(used) > 1
    assert balance(fees) == "50.00 v40"
    assert str(selectors.account_get(account_id=fees.id).balance) == "50.00"
    # A replay lands on the same shard and changes nothing.
    before = state()
    again = services.entry_post(
        book_id=book.id,
        kind="fee",
        idempotency_key="fee-7",
        effective_date=DAY,
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, 125),
            Line(fees.id, Direction.CREDIT, 125),
        ],
    )
    assert again.replayed and again.id == entries[7].id
    assert state() == before
    # Reports fold the shards into their parent.
    trial = selectors.trial_balance(book_id=book.id, as_of=DAY, currency="USD")
    assert [(r.code, str(r.credit)) for r in trial.rows if r.code == "fees"] == [("fees", "50.00")]
    assert not any("#" in r.code for r in trial.rows)
    assert trial.is_balanced
    statement = selectors.account_statement(account_id=fees.id, date_from=DAY, date_to=DAY)
    assert len(statement.lines) == 40
    assert str(statement.closing_balance) == "50.00"
    late = entries[-1].recorded_at + dt.timedelta(seconds=5)
    assert str(selectors.account_balance_as_of(account_id=fees.id, at=late).amount) == "50.00"
    assert "fees" in {a.code for a in selectors.account_list(book_id=book.id)}
    assert not any("#" in a.code for a in selectors.account_list(book_id=book.id))
    assert selectors.ledger_drift(book_id=book.id) == []


def test_sharded_account_rules(book: BookInfo) -> None:
    services.account_open(
        book_id=book.id, code="in_transit:ach", currency="USD", type="liability", shards=2
    )
    with pytest.raises(errors.AccountConflict):
        services.account_open(
            book_id=book.id, code="in_transit:ach", currency="USD", type="liability", shards=3
        )
    for kwargs in ({"shards": 0}, {"shards": 65}, {"shards": 2, "floor": "0"}, {"shards": True}):
        with pytest.raises(DomainError) as caught:
            services.account_open(
                book_id=book.id, code="x", currency="USD", type="liability", **kwargs
            )
        assert caught.value.code == "invalid_input"


@pytest.mark.parametrize("bad_id", ["1", None, 1.0, True, 0, -3])
def test_services_refuse_ids_that_are_not_ids(book: BookInfo, bad_id: Any) -> None:
    before = state()
    calls = [
        lambda: services.entry_reverse(entry_id=bad_id),
        lambda: services.period_close(book_id=bad_id, through=DAY),
        lambda: services.account_open(book_id=bad_id, code="x", currency="USD", type="asset"),
        lambda: services.entry_post(
            book_id=bad_id, kind="x", idempotency_key="k", lines=[Line(1, Direction.DEBIT, 100)] * 2
        ),
        lambda: services.entry_post(
            book_id=book.id,
            kind="x",
            idempotency_key="k",
            lines=[Line(bad_id, Direction.DEBIT, 100), Line(bad_id, Direction.CREDIT, 100)],
        ),
    ]
    for call in calls:
        with pytest.raises(DomainError) as caught:
            call()
        assert caught.value.code in {"invalid_input", "invalid_entry"}
    assert state() == before


# --- accounts_open (bulk) ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_accounts_open_opens_many_once(book) -> None:
    from ledger import errors as ledger_errors

    first = services.accounts_open(
        book_id=book.id, currency="USD", type="liability", floor="0", codes=["a:1", "a:2"]
    )
    again = services.accounts_open(
        book_id=book.id, currency="USD", type="liability", floor="0", codes=["a:2", "a:3"]
    )
    assert again["a:2"] == first["a:2"]
    assert set(again) == {"a:2", "a:3"}
    info = selectors.account_get(account_id=again["a:3"])
    assert (info.type, info.floor, info.balance) == ("liability", Decimal("0.00"), Decimal("0.00"))
    with pytest.raises(ledger_errors.AccountConflict):
        services.accounts_open(book_id=book.id, currency="USD", type="asset", codes=["a:1"])
    assert selectors.account_ids(book_id=book.id, currency="USD", codes=["a:1", "nope"]) == {
        "a:1": first["a:1"]
    }


def test_balances_by_code_takes_codes_and_literal_prefixes(
    book: BookInfo, open_account: Callable[..., Any]
) -> None:
    cash = open_account("cash", "asset")
    fees = open_account("fees", "revenue")
    transit = open_account("in_transit:ach", "asset")
    lookalike = open_account("inXtransit:ach", "asset")  # "_" in a prefix is not a wildcard
    _post(
        book,
        [Line(transit.id, Direction.DEBIT, 700), Line(fees.id, Direction.CREDIT, 700)],
        key="a",
    )
    _post(
        book,
        [Line(lookalike.id, Direction.DEBIT, 100), Line(cash.id, Direction.CREDIT, 100)],
        key="b",
    )
    found = selectors.balances_by_code(
        book_id=book.id, codes=["fees", "missing"], code_prefixes=["in_transit:"]
    )
    assert [(b.code, b.currency, str(b.balance)) for b in found] == [
        ("fees", "USD", "7.00"),
        ("in_transit:ach", "USD", "7.00"),
    ]
