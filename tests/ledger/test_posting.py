"""Posting entries and exact money: exact results on success, typed errors and no change on
failure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from moneyed import Money

from core.errors import DomainError
from ledger import errors, selectors, services
from ledger.money import from_minor, to_minor
from ledger.types import AccountInfo, BookInfo, Direction, Line
from tests.ledger.support import DAY, balance, fund, post, state

pytestmark = pytest.mark.django_db(transaction=True)

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
        post(book, make_lines(accounts))
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
        post(
            book,
            [
                Line(other_cash.id, Direction.DEBIT, 100),
                Line(accounts["cash"].id, Direction.CREDIT, 100),
            ],
        )
    assert state() == before


BIGINT_MAX = 2**63 - 1


@pytest.mark.parametrize("in_transaction", [False, True])
def test_a_balance_past_bigint_is_a_typed_error_that_changes_nothing(
    book: BookInfo, accounts: dict[str, AccountInfo], in_transaction: bool
) -> None:
    """Each amount fits a bigint, their sum does not: the post is refused with a typed error
    naming the account, never a database error, alone or inside the caller's transaction."""
    fund(book, accounts, BIGINT_MAX - 10)
    before = state()
    with pytest.raises(errors.BalanceOutOfRange) as caught:
        if in_transaction:
            with transaction.atomic():
                fund(book, accounts, 11, key="f2")
        else:
            fund(book, accounts, 11, key="f2")
    assert caught.value.code == "balance_out_of_range"
    assert caught.value.details["account_codes"] == ["cash", "funding"]
    assert state() == before
    with pytest.raises(errors.InvalidAmount):
        fund(book, accounts, BIGINT_MAX + 1, key="f4")  # one amount past it is bad input
    assert state() == before
    fund(book, accounts, 10, key="f3")  # up to the limit itself is fine
    assert balance(accounts["cash"]) == f"{from_minor(BIGINT_MAX, 'USD')} v2"


def test_below_floor_names_the_account(book: BookInfo, accounts: dict[str, AccountInfo]) -> None:
    fund(book, accounts, 1000)
    before = state()
    with pytest.raises(errors.BelowFloor) as caught:
        post(
            book,
            [
                Line(accounts["funding"].id, Direction.DEBIT, 1001),
                Line(accounts["available"].id, Direction.CREDIT, 1001),
            ],
        )
    assert caught.value.details["account_code"] == "funding"
    assert caught.value.details["balance"] == "10.00"
    assert state() == before
