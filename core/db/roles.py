"""The application's database role: exactly the privileges the services need.

Two roles reach the database. The **owner** owns the schema: migrations run as it (the
``MIGRATION_DATABASE_URL`` connection, alias ``owner``). The **application** role (``DATABASE_URL``,
alias ``default``) is what the web server, the workers and beat connect as. It owns nothing, so
it can run no DDL and cannot ``ALTER TABLE ... DISABLE TRIGGER``; it is never given TRUNCATE,
TRIGGER or REFERENCES; and on the append-only tables (the ledger's entries and postings, which
their app names: :func:`append_only`) it may only read and insert. A statement it may not run is
refused by PostgreSQL with ``insufficient_privilege`` (SQLSTATE 42501) before any trigger runs.

:func:`roles_grant` sets that up, as the owner, on every table, sequence and function of the
schema, and ``ALTER DEFAULT PRIVILEGES`` makes tables the owner creates later readable and
writable by the application at once. ``migrate`` calls it when it finishes (``core.apps``), so a
new table's privileges and the append-only revocations are right after every migration;
``manage.py db_roles_grant`` runs it on its own.
"""

from __future__ import annotations

from django.db import models, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import sql

# Tables whose rows are never changed or removed once written, named by their apps.
_APPEND_ONLY: set[str] = set()
# Tables the application reads but never writes: the migration history.
READ_ONLY = frozenset({"django_migrations"})
SCHEMA = "public"


def append_only(*tables: type[models.Model]) -> None:
    """Declare tables the application may read and insert into, never update or delete from
    (their apps call it when they start)."""
    _APPEND_ONLY.update(model._meta.db_table for model in tables)


def append_only_tables() -> frozenset[str]:
    return frozenset(_APPEND_ONLY)


def application_role() -> str | None:
    """The role the application connects as, when migrations connect as another one
    (``settings.MIGRATION_DATABASE_ALIAS`` is not ``default``); else None."""
    from django.conf import settings

    alias = settings.MIGRATION_DATABASE_ALIAS
    if alias == "default":
        return None
    app_role = str(settings.DATABASES["default"].get("USER") or "")
    owner_role = str(settings.DATABASES[alias].get("USER") or "")
    return app_role if app_role and app_role != owner_role else None


def _statements(app_role: str, owner_role: str, tables: set[str]) -> list[sql.Composed]:
    """The grants, for the tables there are (a migration part-way has not made them all)."""
    app, owner, schema = (sql.Identifier(name) for name in (app_role, owner_role, SCHEMA))
    statements = [
        # Whatever was granted before is taken back first, so the result is exactly this.
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM {}").format(schema, app),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, app),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(schema, app),
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(
            schema, app
        ),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(schema, app),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(schema, app),
        sql.SQL("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {} TO {}").format(schema, app),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(owner, schema, app),
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} "
            "GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(owner, schema, app),
    ]
    statements += [
        sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(SCHEMA, name), app)
        for name in sorted(_APPEND_ONLY & tables)
    ]
    statements += [
        sql.SQL("REVOKE INSERT, UPDATE, DELETE ON {} FROM {}").format(
            sql.Identifier(SCHEMA, name), app
        )
        for name in sorted(READ_ONLY & tables)
    ]
    return statements


class RolesRefused(Exception):
    """The roles cannot be set up as described: the application role would keep a power."""


def roles_grant(owner_connection: BaseDatabaseWrapper, app_role: str) -> None:
    """As the owner (``owner_connection``), give ``app_role`` exactly the application's
    privileges on the schema (module docstring). Idempotent; one transaction.

    Raises :class:`RolesRefused` when ``app_role`` is the owner itself, a superuser, owns
    anything in the schema, or may create objects in it (PostgreSQL before 15 grants CREATE on
    ``public`` to everyone: a superuser must run ``REVOKE CREATE ON SCHEMA public FROM
    PUBLIC`` once).
    """
    with owner_connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        (owner_role,) = cursor.fetchone()
        if app_role == owner_role:
            raise RolesRefused(f"the application role {app_role!r} is the owner itself")
        cursor.execute(
            "SELECT rolsuper, "
            "EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "        WHERE n.nspname = %s AND c.relowner = r.oid), "
            "has_schema_privilege(r.oid, %s, 'CREATE') "
            "FROM pg_roles r WHERE r.rolname = %s",
            [SCHEMA, SCHEMA, app_role],
        )
        found = cursor.fetchone()
        if found is None:
            raise RolesRefused(f"there is no role {app_role!r}")
        is_superuser, owns_objects, may_create = found
        if is_superuser or owns_objects:
            raise RolesRefused(
                f"the application role {app_role!r} is a superuser or owns tables: it would "
                "keep every power; connect the application as a role of its own"
            )
        if may_create:
            raise RolesRefused(
                f"{app_role!r} may create objects in schema {SCHEMA} (granted to PUBLIC before "
                f"PostgreSQL 15): as a superuser, REVOKE CREATE ON SCHEMA {SCHEMA} FROM PUBLIC"
            )
    with transaction.atomic(using=owner_connection.alias), owner_connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [SCHEMA])
        tables = {row[0] for row in cursor.fetchall()}
        for statement in _statements(app_role, owner_role, tables):
            cursor.execute(statement.as_string(owner_connection.connection))
