"""Shared fixtures. Tests run against real PostgreSQL and Redis (see README)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings

from config import embedded
from ledger.types import AccountInfo, BookInfo
from tests.factories import AccountFactory, BookFactory

# The suite shares two cores with real PostgreSQL, Redis, Celery workers and the sandbox: one slow
# example is the machine's load, not a finding, so property tests have no per-example deadline.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.fixture
def book(db: None) -> BookInfo:
    book: BookInfo = BookFactory.create(name="Test book")
    return book


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
        account: AccountInfo = AccountFactory.create(
            book_id=book_id or book.id, code=code, currency=currency, type=type, floor=floor
        )
        return account

    return make


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop the embedded servers this session started (tests/settings.py); reused ones go on."""
    from tests import settings as test_settings

    servers = test_settings.servers
    if servers.is_database_started or servers.is_broker_started:
        embedded.stop_embedded(
            database=servers.is_database_started, broker=servers.is_broker_started
        )
