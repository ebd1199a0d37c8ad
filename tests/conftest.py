"""Shared fixtures. Tests run against real PostgreSQL and Redis (see README)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest

from ledger import services
from ledger.types import AccountInfo, BookInfo

_counter = itertools.count(1)


@pytest.fixture
def book(db: None) -> BookInfo:
    return services.book_open(code=f"book-{next(_counter)}", name="Test book")


@pytest.fixture
def open_account(book: BookInfo) -> Callable[..., AccountInfo]:
    """Open an account in the test book: ``open_account("cash", "asset", floor=None)``."""

    def make(
        code: str,
        type: str = "liability",
        *,
        currency: str = "USD",
        floor: str | None = None,
        book_id: int | None = None,
    ) -> AccountInfo:
        return services.account_open(
            book_id=book_id or book.id, code=code, currency=currency, type=type, floor=floor
        )

    return make
