"""The ledger's management commands (exports, trial balance, verification, demo data), the export
writers and the ``ledger.verify`` task."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from config.celery import app as celery_app
from ledger import exports, selectors, services
from ledger.management.commands.export_journal import Command as ExportCommand
from ledger.management.commands.ledger_verify import Command as LedgerVerifyCommand
from ledger.models import Entry
from ledger.tasks import ledger_verify
from ledger.types import AccountInfo, BookInfo, Direction, EntryInfo, Line

HEADER = (
    "entry_id,effective_date,recorded_at,kind,memo,idempotency_key,reverses_entry_id,posting_id,"
    "account_code,account_type,currency,debit,credit,balance_after\r\n"
)


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(name: str, *args: str) -> tuple[str, str]:
    """Call a command as the command line would; returns (stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Journal:
    book: BookInfo
    accounts: dict[str, AccountInfo]
    entries: list[EntryInfo]


@pytest.fixture
def journal(book: BookInfo, open_account: Callable[..., AccountInfo]) -> Journal:
    """Three USD entries on three days and one EUR entry."""
    accounts = {
        "cash": open_account("cash", "asset"),
        "funding": open_account("funding", "liability", floor="0"),
        "available": open_account("payee:p1:available", "liability", floor="0"),
        "fees": open_account("fees", "revenue"),
        "eur_cash": open_account("cash", "asset", currency="EUR"),
        "eur_funding": open_account("funding", "liability", currency="EUR", floor="0"),
    }

    def post(
        key: str, day: int, kind: str, memo: str, lines: list[tuple[str, Direction, int]]
    ) -> Any:
        return services.entry_post(
            book_id=book.id,
            kind=kind,
            idempotency_key=key,
            effective_date=dt.date(2026, 11, day),
            memo=memo,
            lines=[Line(accounts[name].id, direction, minor) for name, direction, minor in lines],
        )

    entries = [
        post(
            "fund-1",
            2,
            "funding.received",
            "Wire, ref 42",
            [("cash", Direction.DEBIT, 10000), ("funding", Direction.CREDIT, 10000)],
        ),
        post(
            "earn-1",
            3,
            "earning.credited",
            "=HYPERLINK(1)",
            [("funding", Direction.DEBIT, 2500), ("available", Direction.CREDIT, 2500)],
        ),
        post(
            "fee-1",
            5,
            "fee.charged",
            "",
            [("available", Direction.DEBIT, 50), ("fees", Direction.CREDIT, 50)],
        ),
        post(
            "fund-eur-1",
            5,
            "funding.received",
            "",
            [("eur_cash", Direction.DEBIT, 123456), ("eur_funding", Direction.CREDIT, 123456)],
        ),
    ]
    return Journal(book, accounts, entries)


def journal_lines(journal: Journal, *indexes: int) -> str:
    """The CSV lines the export must hold for the given entries (each posting: code, type,
    currency, debit, credit, balance after)."""
    expected = {
        0: [("cash", "asset", "USD", "100.00", "", "100.00"),
            ("funding", "liability", "USD", "", "100.00", "100.00")],
        1: [("funding", "liability", "USD", "25.00", "", "75.00"),
            ("payee:p1:available", "liability", "USD", "", "25.00", "25.00")],
        2: [("payee:p1:available", "liability", "USD", "0.50", "", "24.50"),
            ("fees", "revenue", "USD", "", "0.50", "0.50")],
        3: [("cash", "asset", "EUR", "1234.56", "", "1234.56"),
            ("funding", "liability", "EUR", "", "1234.56", "1234.56")],
    }  # fmt: skip
    memos = {0: '"Wire, ref 42"', 1: "'=HYPERLINK(1)", 2: "", 3: ""}
    lines = []
    for index in indexes:
        entry = journal.entries[index]
        postings = sorted(entry.postings, key=lambda p: p.id)
        for posting, (code, kind, ccy, debit, credit, balance) in zip(
            postings, expected[index], strict=True
        ):
            lines.append(
                f"{entry.id},{entry.effective_date},{utc(entry.recorded_at)},{entry.kind},"
                f"{memos[index]},{entry.idempotency_key},,{posting.id},{code},{kind},{ccy},"
                f"{debit},{credit},{balance}\r\n"
            )
    return "".join(lines)


# --- export_journal ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_export_journal_csv_to_stdout_has_exact_rows(journal: Journal) -> None:
    out, err = run("export_journal", "--book", journal.book.code)

    assert out == HEADER + journal_lines(journal, 0, 1, 2, 3)
    assert err == f"export_journal: 8 postings of book {journal.book.code} written to stdout\n"


@pytest.mark.django_db
def test_export_journal_filters_by_effective_date(journal: Journal) -> None:
    by_id, _ = run(
        "export_journal",
        "--book",
        str(journal.book.id),
        "--from",
        "2026-11-03",
        "--to",
        "2026-11-03",
    )
    from_only, _ = run("export_journal", "--book", journal.book.code, "--from", "2026-11-05")
    to_only, _ = run("export_journal", "--book", journal.book.code, "--to", "2026-11-02")
    empty, err = run("export_journal", "--book", journal.book.code, "--from", "2026-12-01")

    assert by_id == HEADER + journal_lines(journal, 1)
    assert from_only == HEADER + journal_lines(journal, 2, 3)
    assert to_only == HEADER + journal_lines(journal, 0)
    assert empty == HEADER
    assert "0 postings" in err


@pytest.mark.django_db
def test_export_journal_csv_to_file(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "journal.csv"

    out, err = run("export_journal", "--book", journal.book.code, "--output", str(target))

    assert out == ""
    assert err == f"export_journal: 8 postings of book {journal.book.code} written to {target}\n"
    assert target.read_bytes().decode("utf-8") == HEADER + journal_lines(journal, 0, 1, 2, 3)
    with target.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["debit"] for row in rows] == ["100.00", "", "25.00", "", "0.50", "", "1234.56", ""]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.csv"]


@pytest.mark.django_db
def test_export_journal_xlsx_reads_back_with_real_types(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "journal.xlsx"

    run("export_journal", "--book", journal.book.code, "--format", "xlsx", "--output", str(target))

    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.xlsx"]
    sheet = openpyxl.load_workbook(target).active
    assert sheet is not None
    assert sheet.title == "Journal"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(selectors.JOURNAL_COLUMNS)
    assert len(rows) == 9
    first = journal.entries[0]
    entry_id, date, recorded_at, kind, memo, key, reverses, posting_id, *rest = rows[1]
    assert (entry_id, date, kind, memo, key, reverses) == (
        first.id,
        dt.datetime(2026, 11, 2),  # noqa: DTZ001 - Excel dates have no time zone
        "funding.received",
        "Wire, ref 42",
        "fund-1",
        None,
    )
    assert posting_id == min(p.id for p in first.postings)
    assert isinstance(recorded_at, dt.datetime)
    want = first.recorded_at.astimezone(dt.UTC).replace(tzinfo=None)
    assert abs(recorded_at - want) <= dt.timedelta(milliseconds=1)
    assert rest == ["cash", "asset", "USD", 100, None, 100]
    assert rows[3][4] == "=HYPERLINK(1)"  # text, not a formula
    assert sheet.cell(row=4, column=5).data_type == "s"
    assert [row[11:] for row in rows[1:]] == [
        (100, None, 100),
        (None, 100, 100),
        (25, None, 75),
        (None, 25, 25),
        (0.5, None, 24.5),
        (None, 0.5, 0.5),
        (1234.56, None, 1234.56),
        (None, 1234.56, 1234.56),
    ]
    assert sheet.cell(row=2, column=12).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=14).number_format == "#,##0.00"
    assert sheet.cell(row=2, column=2).is_date
    assert sheet.cell(row=2, column=3).is_date


@pytest.mark.django_db
def test_export_journal_xlsx_refuses_more_rows_than_a_sheet_holds(
    journal: Journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 8)  # header + 7 rows; the journal has 8
    target = tmp_path / "journal.xlsx"

    with pytest.raises(CommandError, match=r"8 rows do not fit in an XLSX sheet \(at most 7"):
        run(
            "export_journal",
            "--book",
            journal.book.code,
            "--format",
            "xlsx",
            "--output",
            str(target),
        )

    assert list(tmp_path.iterdir()) == []


def test_write_xlsx_stops_at_the_row_limit_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    target = tmp_path / "out.xlsx"
    target.write_text("previous export")

    with pytest.raises(exports.ExportTooLarge) as caught:
        exports.write_xlsx(iter([(1,), (2,), (3,), (4,)]), header=("n",), path=target)

    assert caught.value.code == "export_too_large"
    assert target.read_text() == "previous export"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (Decimal("25.00"), "25.00"),
        (Decimal("1E+2"), "100"),
        (Decimal("-0.005"), "-0.005"),
        (Decimal("12345678901234567890.12"), "12345678901234567890.12"),
        (dt.date(2026, 1, 2), "2026-01-02"),
        (
            dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            "2026-01-02T01:04:05.000000Z",
        ),
        ({"b": 1, "a": [1]}, '{"a":[1],"b":1}'),
        ("-1+1", "'-1+1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("payout.hold", "payout.hold"),
        (7, "7"),
        (True, "true"),
    ],
)
def test_csv_cell_is_exact(value: Any, text: str) -> None:
    assert exports.csv_cell(value) == text


def test_write_csv_reports_progress_in_steps() -> None:
    steps: list[int] = []
    out = io.StringIO()

    written = exports.write_csv(
        ((n, Decimal(n).scaleb(-2)) for n in range(2500)),
        header=("n", "amount"),
        out=out,
        progress=steps.append,
    )

    assert written == 2500
    assert steps == [1000, 1000, 500]
    assert out.getvalue().splitlines()[-1] == "2499,24.99"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--book", "no-such-book"], "unknown book 'no-such-book'"),
        (["--book", "999999999"], "unknown book '999999999'"),
        (["--book", "B", "--from", "2026-13-01"], "'2026-13-01' is not a date"),
        (["--book", "B", "--to", "23/11/2026"], "'23/11/2026' is not a date"),
        (["--book", "B", "--format", "pdf"], "invalid choice: 'pdf'"),
        (["--book", "B", "--format", "xlsx"], "--output PATH is required for --format xlsx"),
        (["--book", "B", "--from", "2026-11-05", "--to", "2026-11-01"], "is after --to"),
        (["--book", "B", "--output", "/no/such/folder/j.csv"], "folder /no/such/folder does not"),
    ],
)
def test_export_journal_bad_input_is_a_command_error(
    journal: Journal, args: list[str], message: str
) -> None:
    args = [journal.book.code if arg == "B" else arg for arg in args]

    with pytest.raises(CommandError, match=message.replace("(", r"\(")):
        run("export_journal", *args)


@pytest.mark.django_db
def test_bad_date_from_the_command_line_prints_usage_not_a_traceback(
    journal: Journal, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        LedgerVerifyCommand().run_from_argv(["manage.py", "ledger_verify", "--bogus"])
    assert caught.value.code == 2

    with pytest.raises(SystemExit) as caught:
        ExportCommand().run_from_argv(
            ["manage.py", "export_journal", "--book", journal.book.code, "--from", "yesterday"]
        )

    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument --from: 'yesterday' is not a date (expected YYYY-MM-DD)" in err
    assert "Traceback" not in err


@pytest.mark.django_db
def test_progress_bar_shows_on_a_terminal_only(journal: Journal) -> None:
    terminal = FakeTerminal()
    call_command(
        "export_journal", "--book", journal.book.code, stdout=io.StringIO(), stderr=terminal
    )
    quiet = FakeTerminal()
    call_command(
        "export_journal",
        "--book",
        journal.book.code,
        "--no-progress",
        stdout=io.StringIO(),
        stderr=quiet,
    )

    assert "journal: 100%" in terminal.getvalue()
    assert "| 8/8 [" in terminal.getvalue()
    assert (
        quiet.getvalue()
        == f"export_journal: 8 postings of book {journal.book.code} written to stdout\n"
    )


# --- trial_balance -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_trial_balance_table(journal: Journal) -> None:
    out, _ = run("trial_balance", "--book", journal.book.code, "--as-of", "2026-11-30")

    code = journal.book.code
    assert out == (
        f"Trial balance of book {code} (id {journal.book.id}) as of 2026-11-30\n"
        "\n"
        "Currency  Account             Type          Debit    Credit\n"
        "--------  ------------------  ---------  --------  --------\n"
        "EUR       cash                asset      1,234.56\n"
        "EUR       funding             liability            1,234.56\n"
        "--------  ------------------  ---------  --------  --------\n"
        "EUR       Total                          1,234.56  1,234.56  balanced\n"
        "\n"
        "USD       cash                asset        100.00\n"
        "USD       fees                revenue                  0.50\n"
        "USD       funding             liability               75.00\n"
        "USD       payee:p1:available  liability               24.50\n"
        "--------  ------------------  ---------  --------  --------\n"
        "USD       Total                            100.00    100.00  balanced\n"
        "\n"
        "Balanced: yes (debits equal credits in every currency)\n"
    )


@pytest.mark.django_db
def test_trial_balance_as_of_an_earlier_date_and_one_currency(journal: Journal) -> None:
    out, _ = run(
        "trial_balance", "--book", journal.book.code, "--as-of", "2026-11-03", "--currency", "usd"
    )

    assert out == (
        f"Trial balance of book {journal.book.code} (id {journal.book.id}) "
        "as of 2026-11-03 in USD\n"
        "\n"
        "Currency  Account             Type        Debit  Credit\n"
        "--------  ------------------  ---------  ------  ------\n"
        "USD       cash                asset      100.00\n"
        "USD       fees                revenue\n"
        "USD       funding             liability           75.00\n"
        "USD       payee:p1:available  liability           25.00\n"
        "--------  ------------------  ---------  ------  ------\n"
        "USD       Total                          100.00  100.00  balanced\n"
        "\n"
        "Balanced: yes (debits equal credits in every currency)\n"
    )


@pytest.mark.django_db
def test_trial_balance_csv(journal: Journal, tmp_path: Path) -> None:
    target = tmp_path / "tb.csv"
    accounts = journal.accounts

    out, err = run(
        "trial_balance",
        "--book",
        journal.book.code,
        "--as-of",
        "2026-11-30",
        "--format",
        "csv",
        "--output",
        str(target),
    )

    assert out == ""
    assert err == f"trial_balance: 6 accounts written to {target}\n"
    assert target.read_bytes().decode("utf-8") == (
        "currency,account_id,account_code,account_name,account_type,debit,credit\r\n"
        f"EUR,{accounts['eur_cash'].id},cash,cash,asset,1234.56,0.00\r\n"
        f"EUR,{accounts['eur_funding'].id},funding,funding,liability,0.00,1234.56\r\n"
        "EUR,,,Total EUR,,1234.56,1234.56\r\n"
        f"USD,{accounts['cash'].id},cash,cash,asset,100.00,0.00\r\n"
        f"USD,{accounts['fees'].id},fees,fees,revenue,0.00,0.50\r\n"
        f"USD,{accounts['funding'].id},funding,funding,liability,0.00,75.00\r\n"
        f"USD,{accounts['available'].id},payee:p1:available,payee:p1:available,liability,0.00,24.50\r\n"
        "USD,,,Total USD,,100.00,100.00\r\n"
    )


@pytest.mark.django_db
def test_trial_balance_of_an_empty_book(book: BookInfo) -> None:
    out, _ = run("trial_balance", "--book", book.code, "--as-of", "2026-11-30")

    assert out.splitlines()[1:] == ["No accounts."]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--book", "nope", "--as-of", "2026-11-30"], "unknown book 'nope'"),
        (["--book", "B"], "the following arguments are required: --as-of"),
        (["--book", "B", "--as-of", "2026-02-30"], "'2026-02-30' is not a date"),
        (["--book", "B", "--as-of", "2026-11-30", "--currency", "XXY"], "XXY is not an ISO 4217"),
        (["--book", "B", "--as-of", "2026-11-30", "--format", "xlsx"], "invalid choice: 'xlsx'"),
    ],
)
def test_trial_balance_bad_input_is_a_command_error(
    book: BookInfo, args: list[str], message: str
) -> None:
    args = [book.code if arg == "B" else arg for arg in args]

    with pytest.raises(CommandError, match=message):
        run("trial_balance", *args)


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
    """Move a stored balance behind the ledger's back (only a superuser bypassing the guard can)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE ledger_account DISABLE TRIGGER ledger_account_guard")
        cursor.execute(
            "UPDATE ledger_account SET balance_minor = balance_minor + %s WHERE id = %s",
            [delta_minor, account_id],
        )
        cursor.execute("ALTER TABLE ledger_account ENABLE TRIGGER ledger_account_guard")


@pytest.mark.django_db(transaction=True)
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
