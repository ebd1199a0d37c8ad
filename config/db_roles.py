"""A development machine's two database roles, made from a URL of a role that may create them.

Production creates its roles once, by hand (README, "Database roles"). A development machine's
stack (``make run``), the test session and CI get them from ``config.embedded.ensure_servers``:
given a URL of a superuser (the embedded PostgreSQL's ``postgres``, or the ``DATABASE_URL`` a
developer or CI exports) and no ``MIGRATION_DATABASE_URL``, :func:`provision` creates, for the
database ``<name>``,

- ``<name>_owner``: LOGIN and CREATEDB (the test session creates its test database as it), the
  owner of the database and of everything in its ``public`` schema: migrations connect as it;
- ``<name>_app``: LOGIN and nothing else: the application connects as it, with the privileges
  ``migrate`` grants it (``core.db.roles``),

and returns their URLs, which the caller exports as ``DATABASE_URL`` and
``MIGRATION_DATABASE_URL``. Roles are per database name, so checkouts sharing a server never
share a role. Both get the given URL's password, if it has one. Running it again changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psycopg
from psycopg import errors, sql

logger = logging.getLogger("config.db_roles")
MAINTENANCE_DATABASE = "postgres"


@dataclass(frozen=True)
class RoleUrls:
    app: str
    owner: str


def role_names(database: str) -> tuple[str, str]:
    """(owner, application) role names for a database."""
    return f"{database}_owner", f"{database}_app"


def with_user(url: str, user: str) -> str:
    """``url`` with another user name (its password, host and database kept)."""
    parts = urlsplit(url)
    password = f":{quote(parts.password, safe='')}" if parts.password is not None else ""
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}{password}@{host}"))


def with_database(url: str, database: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{quote(database, safe='')}"))


def database_of(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def provision(admin_url: str, *, other_databases: Iterable[str] = ()) -> RoleUrls | None:
    """Create (or bring back in line) the two roles of ``admin_url``'s database; their URLs.

    The database is created, owned by the owner role, when it does not exist; when it does, it
    and every table, view, sequence and function of its ``public`` schema are handed to the
    owner role (a database migrated by the superuser before these roles existed). Each of
    ``other_databases`` that exists (a test database left over) is handed over too. Returns
    None, changing nothing, when ``admin_url``'s role may not create roles: then that URL is
    used as it is, for both.
    """
    database = database_of(admin_url)
    owner, app = role_names(database)
    password = urlsplit(admin_url).password
    with psycopg.connect(with_database(admin_url, MAINTENANCE_DATABASE), autocommit=True) as admin:
        row = admin.execute(
            "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
        if not (row and row[0]):
            logger.warning(
                "DATABASE_URL's role may not create roles: the application and migrations both "
                "connect as it"
            )
            return None
        _role_ensure(admin, owner, createdb=True, password=password)
        _role_ensure(admin, app, createdb=False, password=password)
        for name in (database, *other_databases):
            if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                admin.execute(
                    sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                        sql.Identifier(name), sql.Identifier(owner)
                    )
                )
            elif name == database:
                admin.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(name), sql.Identifier(owner)
                    )
                )
    with psycopg.connect(admin_url, autocommit=True) as inside:
        _hand_over(inside, owner)
    return RoleUrls(app=with_user(admin_url, app), owner=with_user(admin_url, owner))


def _role_ensure(
    admin: psycopg.Connection[tuple[object, ...]],
    role: str,
    *,
    createdb: bool,
    password: str | None,
) -> None:
    options: sql.Composable = sql.SQL(
        "LOGIN NOSUPERUSER NOCREATEROLE NOREPLICATION NOBYPASSRLS "
        + ("CREATEDB" if createdb else "NOCREATEDB")
    )
    if password is not None:
        options = sql.SQL("{} PASSWORD {}").format(options, sql.Literal(password))
    try:
        admin.execute(sql.SQL("CREATE ROLE {} {}").format(sql.Identifier(role), options))
    except errors.DuplicateObject:
        # It exists (an earlier run, or another session a moment ago): its options made right.
        admin.execute(sql.SQL("ALTER ROLE {} {}").format(sql.Identifier(role), options))


# Tables, views and the sequences no column owns (a column's sequence follows its table).
_FOREIGN_RELATIONS = """
SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                      WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, c.relname
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
   AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = %s)
   AND NOT (c.relkind = 'S' AND EXISTS (
       SELECT 1 FROM pg_depend d
        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i')))
"""
_FOREIGN_FUNCTIONS = """
SELECT p.oid::regprocedure::text
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND p.proowner <> (SELECT oid FROM pg_roles WHERE rolname = %s)
"""


def _hand_over(conn: psycopg.Connection[tuple[object, ...]], owner: str) -> None:
    for kind, name in conn.execute(_FOREIGN_RELATIONS, [owner]).fetchall():
        conn.execute(
            sql.SQL("ALTER {} {} OWNER TO {}").format(
                sql.SQL(str(kind)), sql.Identifier("public", str(name)), sql.Identifier(owner)
            )
        )
    for (signature,) in conn.execute(_FOREIGN_FUNCTIONS, [owner]).fetchall():
        # regprocedure's text is the function's own quoted, schema-qualified signature.
        conn.execute(
            sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(
                sql.SQL(str(signature)), sql.Identifier(owner)
            )
        )
