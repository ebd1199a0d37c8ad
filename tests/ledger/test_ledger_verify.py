"""ledger_verify, the ledger.verify task, and seed_demo's sound, idempotent demo book."""

from __future__ import annotations

import datetime as dt
import io
import logging
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections, transaction

from config.celery import app as celery_app
from ledger import selectors, services
from ledger.management.commands.ledger_verify import Command as LedgerVerifyCommand
from ledger.models import Entry
from ledger.tasks import ledger_verify
from ledger.types import BookInfo
from tests.ledger.support import Journal, run

# --- ledger_verify and the ledger.verify task --------------------------------------------------


@pytest.mark.django_db
def test_ledger_verify_passes_on_a_sound_book(journal: Journal) -> None:
    out, _ = run("ledger_verify")
    one, _ = run("ledger_verify", "--book", journal.book.code)

    assert out == "ledger_verify: 1 book, 6 accounts checked, 0 drifts\n"
    assert one == out


@pytest.mark.django_db
def test_ledger_verify_unknown_book(journal: Journal) -> None:
    with pytest.raises(CommandError, match="unknown book 'nope'"):
        run("ledger_verify", "--book", "nope")


@pytest.mark.django_db
def test_ledger_verify_task_returns_a_summary(journal: Journal, book: BookInfo) -> None:
    services.book_open(code="second-book")

    result = ledger_verify.apply()

    assert result.get() == {"books": 2, "drifts": 0}
    assert ledger_verify.name == "ledger.verify"
    assert ledger_verify.acks_late is True
    route = celery_app.amqp.router.route({}, "ledger.verify")
    assert route["queue"].name == "ledger"
    assert settings.CELERY_BEAT_SCHEDULE["ledger-verify-hourly"]["task"] == "ledger.verify"
    assert "ledger.verify" in celery_app.tasks


def _break_balance(account_id: int, delta_minor: int) -> None:
    """Move a stored balance behind the ledger's back: only the owner of the table can, by
    switching its guard off (the application role may not: tests/core/db/test_roles.py)."""
    owner = connections["owner"]
    with transaction.atomic(using="owner"), owner.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_account DISABLE TRIGGER ledger_account_guard")
        cursor.execute(
            "UPDATE ledger_account SET balance_minor = balance_minor + %s WHERE id = %s",
            [delta_minor, account_id],
        )
        cursor.execute("ALTER TABLE ledger_account ENABLE TRIGGER ledger_account_guard")


@pytest.mark.django_db(transaction=True, databases=["default", "owner"])
def test_ledger_verify_fails_on_drift(
    journal: Journal, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    clean = services.book_open(code="clean-book")
    cash = journal.accounts["cash"]
    _break_balance(cash.id, 1)
    book = journal.book
    drift_lines = (
        f"DRIFT book {book.code} (id {book.id}): account_balance: account {cash.id} cash (USD): "
        "stored balance 10001 version 1, postings add up to 10000 over 1\n"
        f"DRIFT book {book.code} (id {book.id}): trial_balance: book {book.id} (USD): "
        "debits exceed credits by 1\n"
    )

    out = io.StringIO()
    with pytest.raises(CommandError, match=r"^2 drifts found$"):
        call_command("ledger_verify", stdout=out, stderr=io.StringIO())
    assert out.getvalue() == (
        drift_lines + "ledger_verify: 2 books, 6 accounts checked, 2 drifts\n"
    )

    assert run("ledger_verify", "--book", clean.code)[0] == (
        "ledger_verify: 1 book, 0 accounts checked, 0 drifts\n"
    )

    # From the command line: exit status 1, a one-line error, no traceback.
    with pytest.raises(SystemExit) as caught:
        LedgerVerifyCommand().run_from_argv(["manage.py", "ledger_verify", "--book", book.code])
    assert caught.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == drift_lines + "ledger_verify: 1 book, 6 accounts checked, 2 drifts\n"
    assert captured.err == "CommandError: 2 drifts found\n"

    with caplog.at_level(logging.ERROR, logger="ledger.tasks"):
        result = ledger_verify.apply()
    assert result.get() == {"books": 2, "drifts": 2}
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR] == [
        f"ledger drift in book {book.code} (id {book.id}): account_balance: account {cash.id} "
        "cash (USD): stored balance 10001 version 1, postings add up to 10000 over 1",
        f"ledger drift in book {book.code} (id {book.id}): trial_balance: book {book.id} (USD): "
        "debits exceed credits by 1",
        "ledger.verify: 2 books checked, 2 drifts",
    ]

    _break_balance(cash.id, -1)
    assert run("ledger_verify")[0] == "ledger_verify: 2 books, 6 accounts checked, 0 drifts\n"


# --- seed_demo ---------------------------------------------------------------------------------


def _state(book_id: int) -> tuple[Any, ...]:
    return (
        Entry.objects.filter(book_id=book_id).count(),
        selectors.journal_count(book_id=book_id),
        tuple((a.id, a.balance, a.version) for a in selectors.account_list(book_id=book_id)),
    )


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_sound() -> None:
    first, _ = run("seed_demo")
    demo = selectors.book_get(code="demo-platform")
    assert demo is not None
    before = _state(demo.id)
    second, _ = run("seed_demo")

    assert _state(demo.id) == before
    assert before[:2] == (22, 48)
    assert first.splitlines() == [
        f"seed_demo: book demo-platform (id {demo.id})",
        "seed_demo: 20 accounts in USD, EUR (10 per currency)",
        "seed_demo: 22 entries: 22 posted, 0 already there",
    ]
    assert second.splitlines()[-1] == (
        "seed_demo: 22 entries: 0 posted, 22 already there (nothing changed)"
    )
    assert run("ledger_verify")[0] == "ledger_verify: 1 book, 20 accounts checked, 0 drifts\n"
    balance = selectors.trial_balance(book_id=demo.id, as_of=dt.date(2026, 11, 30))
    assert balance is not None
    assert balance.is_balanced
    assert [(t.currency, t.debit, t.credit) for t in balance.totals] == [
        ("EUR", Decimal("4682.00"), Decimal("4682.00")),
        ("USD", Decimal("9205.00"), Decimal("9205.00")),
    ]
    usd = {row.code: row.credit - row.debit for row in balance.rows if row.currency == "USD"}
    assert usd == {
        "cash": Decimal("-9205.00"),
        "funding": Decimal("7369.50"),
        "payee:demo-1:available": Decimal("600.00"),
        "payee:demo-1:held": Decimal("0.00"),
        "payee:demo-2:available": Decimal("550.00"),
        "payee:demo-2:held": Decimal("0.00"),
        "payee:demo-3:available": Decimal("230.50"),
        "payee:demo-3:held": Decimal("200.00"),
        "in_transit:ach": Decimal("247.50"),
        "fees": Decimal("7.50"),
    }


@pytest.mark.django_db(transaction=True)
def test_ledger_verify_runs_on_a_real_worker(journal: Journal) -> None:
    """Beat's task, sent through the Redis broker to a worker process on the test database."""
    from tests.workers import celery_worker

    with celery_worker():
        summary = celery_app.send_task("ledger.verify").get(timeout=60)
    assert summary["drifts"] == 0
    assert summary["books"] == len(selectors.book_list())
