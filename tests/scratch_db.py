"""Scratch databases on the test server, for tests that run ``manage.py`` or the launcher in a
subprocess and must not touch the test database or any real one.

Each is created by the owner role, as the test database is; ``scratch(...)`` returns the
application role's URL to it, and :func:`database_env` the two variables a subprocess needs to
connect as the application and migrate as the owner.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg import sql


def database_url(name: str, *, owner: bool = False) -> str:
    """The configured database URL (the owner's, or the application's) with another database
    name (TCP or socket directory)."""
    configured = (
        os.environ.get("MIGRATION_DATABASE_URL") or str(settings.MIGRATION_DATABASE_URL)
        if owner
        else os.environ.get("DATABASE_URL") or str(settings.DATABASE_URL)
    )
    parts = urlsplit(configured)
    return urlunsplit(parts._replace(path=f"/{name}"))


def database_env(url: str) -> dict[str, str]:
    """DATABASE_URL (``url``, the application role's) and MIGRATION_DATABASE_URL (the owner's,
    on the same database) for a subprocess."""
    name = urlsplit(url).path.lstrip("/")
    return {"DATABASE_URL": url, "MIGRATION_DATABASE_URL": database_url(name, owner=True)}


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(database_url("postgres", owner=True), autocommit=True) as admin:
        admin.execute(statement)


@pytest.fixture
def scratch(django_db_setup: None) -> Iterator[Callable[[str], str]]:
    """``scratch("fresh")`` creates an empty database named after the test database and returns
    its URL (the application role's); every one is dropped at the end."""
    created: list[str] = []

    def make(suffix: str) -> str:
        name = f"{connection.settings_dict['NAME']}_{suffix}"[:63]
        _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        _admin(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        created.append(name)
        return database_url(name)

    yield make
    for name in created:
        _admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
