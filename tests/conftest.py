"""Shared fixtures. Tests run against real PostgreSQL and Redis (see README)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import pytest_django
from hypothesis import HealthCheck, settings

from config import embedded
from ledger.types import AccountInfo, BookInfo
from tests.factories import AccountFactory, BookFactory

# The suite shares two cores with real PostgreSQL, Redis, Celery workers and the sandbox: one slow
# example is the machine's load, not a finding, so property tests have no per-example deadline.
settings.register_profile("suite", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("suite")


@pytest.fixture(scope="session")
def django_db_setup(
    request: pytest.FixtureRequest,
    django_test_environment: None,
    django_db_blocker: pytest_django.DjangoDbBlocker,
) -> Iterator[None]:
    """The test database, created and migrated by the owner role (alias ``owner``); the tests
    then connect to it as the application role (alias ``default``), which may not create a
    database or change the schema. pytest-django's own fixture, but for that.

    Django's test runner would create the database through ``default``; here only ``owner``
    makes it (``migrate`` grants the application role its privileges at the end, core.db.roles),
    and ``default`` is pointed at it, as a mirror would be.
    """
    from django.conf import settings as django_settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    verbosity = request.config.option.verbose
    with django_db_blocker.unblock():
        old_config = setup_databases(
            verbosity=verbosity, interactive=False, aliases={"owner"}, serialized_aliases=set()
        )
        test_name = connections["owner"].settings_dict["NAME"]
        connections["default"].close()
        connections["default"].settings_dict["NAME"] = test_name
        django_settings.DATABASES["default"]["NAME"] = test_name
    yield
    with django_db_blocker.unblock():
        connections.close_all()  # the database is dropped: nobody may be connected
        teardown_databases(old_config, verbosity=verbosity)


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
