"""Scratch databases on the test server, for tests that run ``manage.py`` or the launcher in a
subprocess and must not touch the test database or any real one."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from psycopg import sql


def database_url(name: str) -> str:
    """The configured database URL with another database name (TCP or socket directory)."""
    parts = urlsplit(os.environ.get("DATABASE_URL") or settings.DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _admin(statement: sql.Composable) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as admin:
        admin.execute(statement)


@pytest.fixture
def scratch(django_db_setup: None) -> Iterator[Callable[[str], str]]:
    """``scratch("fresh")`` creates an empty database named after the test database and returns
    its URL; every one is dropped at the end."""
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
