"""The migrations define the database's rules once: a database migrated one migration at a time
and a fresh one migrated in one go have the same functions, triggers, constraints and indexes,
and unapplying the ledger's SQL migrations (``migrate ledger 0001``) drops exactly what they
created, and ``migrate`` brings it back identical.

Each test runs ``manage.py`` in a subprocess against scratch databases of its own on the test
server, named after the test database so that parallel runs never collide.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.scratch_db import database_env, scratch

__all__ = ["scratch"]  # the fixture, used by name

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# Every rule the database holds, by name, with the definition PostgreSQL reports for it.
CATALOG = """
SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       pg_get_functiondef(p.oid)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')
UNION ALL
SELECT 'trigger ' || c.relname || '.' || t.tgname, pg_get_triggerdef(t.oid)
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND NOT t.tgisinternal
UNION ALL
SELECT 'constraint ' || c.relname || '.' || k.conname, pg_get_constraintdef(k.oid)
  FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public'
UNION ALL
SELECT 'index ' || c.relname, pg_get_indexdef(c.oid)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind = 'i'
UNION ALL
SELECT 'options ' || c.relname, array_to_string(c.reloptions, ',')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.reloptions IS NOT NULL
"""

# What ledger.0002 to 0004 create: what `migrate ledger 0001` must drop, and nothing else.
LEDGER_SQL_OBJECTS = {
    "function ledger_normal_sign(account_type text)",
    "function ledger_refuse_change()",
    "function ledger_account_guard()",
    "function ledger_book_guard()",
    "function ledger_entries_check()",
    "function ledger_postings_apply()",
    "function ledger_entry_check_balanced()",
    "function ledger_post_entries(p_entries jsonb, p_lines jsonb, p_account_ids bigint[])",
    "trigger ledger_entry.ledger_entry_append_only",
    "trigger ledger_posting.ledger_posting_append_only",
    "trigger ledger_account.ledger_account_guard",
    "trigger ledger_book.ledger_book_guard",
    "trigger ledger_entry.ledger_entries_check",
    "trigger ledger_posting.ledger_postings_apply",
    "trigger ledger_entry.ledger_entry_balanced",
    "constraint ledger_entry.ledger_entry_balanced",  # a constraint trigger is a constraint too
    "constraint ledger_account.ledger_account_shard_of_parent",
    "options ledger_account",
}

# Applies every migration of the plan one at a time, in order, each by its own `migrate`.
STEP_BY_STEP = """
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

executor = MigrationExecutor(connection)
plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
for migration, _ in plan:
    call_command("migrate", migration.app_label, migration.name, verbosity=0)
print(len(plan))
"""


def manage(url: str, *args: str) -> str:
    """Run ``manage.py`` against the database at ``url`` (as the application role; ``migrate`` as
    the owner); its output."""
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py, fixed args
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, **database_env(url)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def catalog(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute(CATALOG).fetchall())


def test_step_by_step_and_fresh_databases_have_the_same_rules(scratch) -> None:
    stepped, fresh = scratch("mig_steps"), scratch("mig_fresh")
    applied = int(manage(stepped, "shell", "--no-imports", "-c", STEP_BY_STEP).strip())
    manage(fresh, "migrate", "--verbosity=0")

    assert applied > 10
    assert "[ ]" not in manage(stepped, "showmigrations")
    rules = catalog(fresh)
    assert rules.keys() >= LEDGER_SQL_OBJECTS
    assert "trigger payouts_payout.payouts_payout_transition_guard" in rules
    assert (
        "row_kind text"
        in rules[
            "function ledger_post_entries(p_entries jsonb, p_lines jsonb, p_account_ids bigint[])"
        ]
    )
    assert catalog(stepped) == rules


def test_unapplying_the_ledger_rules_and_migrating_again_round_trips(scratch) -> None:
    url = scratch("mig_round")
    manage(url, "migrate", "--verbosity=0")
    before = catalog(url)

    manage(url, "migrate", "ledger", "0001", "--verbosity=0")
    down = catalog(url)
    assert before.keys() - down.keys() == LEDGER_SQL_OBJECTS
    assert down == {name: rule for name, rule in before.items() if name not in LEDGER_SQL_OBJECTS}

    manage(url, "migrate", "--verbosity=0")
    assert catalog(url) == before
