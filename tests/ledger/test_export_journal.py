"""The export_journal command and the journal exports (CSV and XLSX): exact rows, filters,
limits, progress and bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ledger import exports, selectors
from ledger.management.commands.export_journal import Command as ExportCommand
from ledger.management.commands.ledger_verify import Command as LedgerVerifyCommand
from tests.ledger.support import HEADER, FakeTerminal, Journal, journal_lines, run

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
