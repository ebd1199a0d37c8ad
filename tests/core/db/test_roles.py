"""Two database roles: migrations run as the owner of the tables; the application (and so every
test) connects as a role that may only do what the services need. It cannot empty a table,
change the schema, switch a trigger off or rewrite the ledger's entries and postings, whatever
SQL it sends."""

from __future__ import annotations

import io

import pytest
from django.db import DatabaseError, connection, connections, transaction

pytestmark = pytest.mark.django_db

INSUFFICIENT_PRIVILEGE = "42501"

REFUSED = [
    "TRUNCATE ledger_posting",
    "TRUNCATE ledger_entry CASCADE",
    "TRUNCATE payouts_payout CASCADE",
    "ALTER TABLE ledger_posting DISABLE TRIGGER ALL",
    "ALTER TABLE ledger_posting DISABLE TRIGGER ledger_posting_append_only",
    "ALTER TABLE ledger_account DISABLE TRIGGER USER",
    "DROP TRIGGER ledger_entry_append_only ON ledger_entry",
    "CREATE TRIGGER intruder BEFORE INSERT ON ledger_posting FOR EACH ROW "
    "EXECUTE FUNCTION ledger_refuse_change()",
    "CREATE OR REPLACE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RETURN NEW; END $$",
    "SET session_replication_role = replica",
    "ALTER TABLE ledger_account ADD COLUMN intruder integer",
    "ALTER TABLE ledger_account DROP CONSTRAINT ledger_account_shard_of_parent",
    "DROP TABLE ledger_posting",
    "CREATE TABLE intruder (id integer)",
    "CREATE SCHEMA intruder",
    "CREATE ROLE intruder",
    "UPDATE ledger_posting SET amount_minor = amount_minor",
    "DELETE FROM ledger_posting",
    "UPDATE ledger_entry SET memo = memo",
    "DELETE FROM ledger_entry",
    "INSERT INTO django_migrations (app, name, applied) VALUES ('ledger', 'intruder', now())",
]


@pytest.mark.parametrize("statement", REFUSED)
def test_the_application_role_is_refused(statement: str) -> None:
    with pytest.raises(DatabaseError) as caught:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert getattr(caught.value.__cause__, "sqlstate", None) == INSUFFICIENT_PRIVILEGE, caught.value


def _one(alias: str, query: str, params: list[object] | None = None) -> tuple[object, ...]:
    with connections[alias].cursor() as cursor:
        cursor.execute(query, params or [])
        row = cursor.fetchone()
    assert row is not None
    return tuple(row)


@pytest.mark.django_db(databases=["default", "owner"])
def test_the_application_role_is_no_superuser_and_owns_nothing() -> None:
    assert _one(
        "default",
        "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls, rolreplication "
        "FROM pg_roles WHERE rolname = current_user",
    ) == (False, False, False, False, False)
    assert _one(
        "default",
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'USAGE')",
    ) == (0,)
    (app,) = _one("default", "SELECT current_user")
    (owner,) = _one("owner", "SELECT current_user")
    assert app != owner
    assert _one("owner", "SELECT tableowner FROM pg_tables WHERE tablename = 'ledger_posting'") == (
        owner,
    )
    assert _one("default", "SELECT current_database()") == _one(
        "owner", "SELECT current_database()"
    )


def _privileges(table_name: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = current_user AND table_schema = 'public' AND table_name = %s",
            [table_name],
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_application_role_has_exactly_the_privileges_the_services_need() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        tables = {row[0] for row in cursor.fetchall()}
    read_write = {"SELECT", "INSERT", "UPDATE", "DELETE"}
    expected = dict.fromkeys(tables, read_write)
    expected |= {
        "ledger_entry": {"SELECT", "INSERT"},
        "ledger_posting": {"SELECT", "INSERT"},
        "django_migrations": {"SELECT"},
    }
    assert {name: _privileges(name) for name in tables} == expected
    # Sequences: ids are drawn (core.db.ids), never reset.
    assert _one(
        "default",
        "SELECT bool_and(has_sequence_privilege(c.oid, 'USAGE')), "
        "bool_or(has_sequence_privilege(c.oid, 'UPDATE')) "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'S'",
    ) == (True, False)
    assert _one(
        "default",
        "SELECT has_function_privilege('ledger_post_entries(jsonb, jsonb, bigint[])', 'EXECUTE')",
    ) == (True,)


@pytest.mark.django_db(databases=["default", "owner"])
def test_db_roles_grant_is_idempotent_and_refuses_to_empower_the_owner() -> None:
    from django.core.management import CommandError, call_command

    before = {name: _privileges(name) for name in ("ledger_entry", "payouts_payout")}
    out = io.StringIO()
    call_command("db_roles_grant", stdout=out)
    (app,) = _one("default", "SELECT current_user")
    assert f"granted {app} the application's privileges" in out.getvalue()
    assert {name: _privileges(name) for name in before} == before
    (owner,) = _one("owner", "SELECT current_user")
    with pytest.raises(CommandError, match="is the owner itself"):
        call_command("db_roles_grant", "--role", owner)
