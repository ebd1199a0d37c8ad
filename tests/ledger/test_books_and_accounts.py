"""Opening books and accounts: idempotent opening, conflicts, sharded hot accounts, bulk opening
and ids that are not ids."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from core.errors import DomainError
from ledger import errors, selectors, services
from ledger.types import AccountInfo, BookInfo, Direction, Line
from tests.ledger.support import DAY, balance, post, state

pytestmark = pytest.mark.django_db(transaction=True)

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
    post(
        book,
        [Line(transit.id, Direction.DEBIT, 700), Line(fees.id, Direction.CREDIT, 700)],
        key="a",
    )
    post(
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
