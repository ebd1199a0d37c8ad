"""Fixtures of the ledger tests: a set of accounts in the test book, and a small journal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from ledger import services
from ledger.types import AccountInfo, BookInfo, Direction, Line
from tests.ledger.support import Journal


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


@pytest.fixture
def journal(book: BookInfo, open_account: Callable[..., AccountInfo]) -> Journal:
    """Three USD entries on three days and one EUR entry."""
    accounts = {
        "cash": open_account("cash", "asset"),
        "funding": open_account("funding", "liability", floor="0"),
        "available": open_account("payee:p1:available", "liability", floor="0"),
        "fees": open_account("fees", "revenue"),
        "eur_cash": open_account("cash", "asset", currency="EUR"),
        "eur_funding": open_account("funding", "liability", currency="EUR", floor="0"),
    }

    def post(
        key: str, day: int, kind: str, memo: str, lines: list[tuple[str, Direction, int]]
    ) -> Any:
        return services.entry_post(
            book_id=book.id,
            kind=kind,
            idempotency_key=key,
            effective_date=dt.date(2026, 11, day),
            memo=memo,
            lines=[Line(accounts[name].id, direction, minor) for name, direction, minor in lines],
        )

    entries = [
        post(
            "fund-1",
            2,
            "funding.received",
            "Wire, ref 42",
            [("cash", Direction.DEBIT, 10000), ("funding", Direction.CREDIT, 10000)],
        ),
        post(
            "earn-1",
            3,
            "earning.credited",
            "=HYPERLINK(1)",
            [("funding", Direction.DEBIT, 2500), ("available", Direction.CREDIT, 2500)],
        ),
        post(
            "fee-1",
            5,
            "fee.charged",
            "",
            [("available", Direction.DEBIT, 50), ("fees", Direction.CREDIT, 50)],
        ),
        post(
            "fund-eur-1",
            5,
            "funding.received",
            "",
            [("eur_cash", Direction.DEBIT, 123456), ("eur_funding", Direction.CREDIT, 123456)],
        ),
    ]
    return Journal(book, accounts, entries)
