"""Streaming CSV and XLSX writers for the ledger's exports (journal, trial balance, ...).

Both take any iterable of row tuples and a header and write row by row, so memory stays flat
whatever the number of rows: pair them with a streaming selector such as ``journal_rows``.

Cell values keep their meaning in both formats:
- ``Decimal`` amounts are exact. CSV writes them as plain decimal strings ("25.00", never a float
  or an exponent); XLSX writes numbers formatted with the amount's own decimals, which
  ``ledger.money.from_minor`` sets to the currency's exponent (USD 2, JPY 0, BHD 3).
- Datetimes are UTC: ISO 8601 with microseconds and ``Z`` in CSV ("2026-11-23T10:04:05.123456Z"),
  real Excel date-times in XLSX (Excel has no time zones; the values are UTC, to the millisecond).
- Dates are ISO 8601 in CSV and real Excel dates in XLSX; ``None`` is an empty cell.
- Text is never a formula: XLSX writes it as a string, and CSV prefixes text that a spreadsheet
  would evaluate (``=``, ``+``, ``-``, ``@``) with an apostrophe.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import xlsxwriter
import xlsxwriter.format
import xlsxwriter.worksheet

from ledger.errors import ExportTooLarge

__all__ = [
    "XLSX_MAX_ROWS",
    "ExportTooLarge",
    "Progress",
    "TextSink",
    "csv_cell",
    "write_csv",
    "write_xlsx",
    "xlsx_check_size",
]

# Called with the number of rows written since the previous call (``tqdm.update`` fits).
Progress = Callable[[int], None]

# Excel's hard limit per worksheet, the header row included.
XLSX_MAX_ROWS = 1_048_576
# Excel keeps 15 significant digits; a longer number is written as text so no digit is lost.
XLSX_MAX_DIGITS = 15
PROGRESS_EVERY = 1000

# A spreadsheet treats a cell starting with one of these as a formula; memos and keys come from
# API users, so opening an export must not run what they typed (OWASP "CSV injection").
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class TextSink(Protocol):
    """Where CSV goes: a text file, ``sys.stdout`` or a command's ``self.stdout``."""

    def write(self, text: str, /) -> object: ...


def csv_cell(value: Any) -> str:
    """One value as CSV text: exact decimals, ISO 8601 dates, UTC datetimes, JSON objects."""
    if value is None:
        text = ""
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, Decimal):
        text = format(value, "f")
    elif isinstance(value, dt.datetime):
        text = _utc(value).isoformat(timespec="microseconds").replace("+00:00", "Z")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, dict | list):
        text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    elif isinstance(value, str):
        text = "'" + value if value.startswith(_FORMULA_PREFIXES) else value
    else:
        text = str(value)
    return text


def write_csv(
    rows: Iterable[Sequence[Any]],
    *,
    header: Sequence[str],
    out: TextSink,
    progress: Progress | None = None,
) -> int:
    """Write ``header`` and then every row to ``out`` as CSV (RFC 4180); returns the row count.

    ``out`` should be opened with ``newline=""``. Rows are written one at a time.
    """
    writer = csv.writer(out)
    writer.writerow(header)
    written = 0
    for row in rows:
        writer.writerow([csv_cell(value) for value in row])
        written += 1
        if progress is not None and written % PROGRESS_EVERY == 0:
            progress(PROGRESS_EVERY)
    if progress is not None and written % PROGRESS_EVERY:
        progress(written % PROGRESS_EVERY)
    return written


def xlsx_check_size(row_count: int) -> None:
    """Raise ``ExportTooLarge`` when ``row_count`` data rows and a header do not fit a sheet."""
    if row_count + 1 > XLSX_MAX_ROWS:
        raise ExportTooLarge(
            f"{row_count:,} rows do not fit in an XLSX sheet (at most {XLSX_MAX_ROWS - 1:,} "
            "rows under the header); export as CSV or narrow the date range",
            row_count=row_count,
            max_rows=XLSX_MAX_ROWS - 1,
        )


def write_xlsx(
    rows: Iterable[Sequence[Any]],
    *,
    header: Sequence[str],
    path: str | os.PathLike[str],
    row_count: int | None = None,
    sheet_name: str = "Export",
    progress: Progress | None = None,
) -> int:
    """Write ``header`` and every row to a new XLSX file at ``path``; returns the row count.

    Uses xlsxwriter's constant-memory mode, and writes to a temporary file beside ``path`` that
    replaces it only when complete: a failed export leaves no half-written workbook.
    ``row_count``, when known, is checked against Excel's row limit before anything is written;
    rows beyond the limit raise ``ExportTooLarge`` in any case.
    """
    if row_count is not None:
        xlsx_check_size(row_count)
    target = Path(path)
    partial = target.with_name(f".{target.name}.partial")
    workbook = xlsxwriter.Workbook(
        str(partial), {"constant_memory": True, "default_date_format": "yyyy-mm-dd"}
    )
    try:
        sheet = workbook.add_worksheet(sheet_name[:31])
        writer = _XlsxRowWriter(workbook, sheet)
        bold = workbook.add_format({"bold": True})
        sheet.set_column(0, max(len(header) - 1, 0), 16)
        sheet.freeze_panes(1, 0)
        for column, title in enumerate(header):
            sheet.write_string(0, column, title, bold)
        written = 0
        for row in rows:
            written += 1
            if written + 1 > XLSX_MAX_ROWS:
                xlsx_check_size(written)
            writer.write(written, row)
            if progress is not None and written % PROGRESS_EVERY == 0:
                progress(PROGRESS_EVERY)
        if header:
            sheet.autofilter(0, 0, written, len(header) - 1)
        workbook.close()
    except BaseException:
        # Closing removes xlsxwriter's temporary row files; the partial workbook goes with them.
        try:
            workbook.close()
        finally:
            partial.unlink(missing_ok=True)
        raise
    partial.replace(target)
    if progress is not None and written % PROGRESS_EVERY:
        progress(written % PROGRESS_EVERY)
    return written


class _XlsxRowWriter:
    """Writes typed cells, with one cached number format per count of decimals."""

    def __init__(
        self, workbook: xlsxwriter.Workbook, sheet: xlsxwriter.worksheet.Worksheet
    ) -> None:
        self.workbook = workbook
        self.sheet = sheet
        self.date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss.000"})
        self.amount_formats: dict[int, xlsxwriter.format.Format] = {}

    def amount_format(self, decimals: int) -> xlsxwriter.format.Format:
        fmt = self.amount_formats.get(decimals)
        if fmt is None:
            pattern = "#,##0." + "0" * decimals if decimals else "#,##0"
            fmt = self.workbook.add_format({"num_format": pattern})
            self.amount_formats[decimals] = fmt
        return fmt

    def write(self, row_index: int, row: Sequence[Any]) -> None:
        sheet = self.sheet
        for column, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_boolean(row_index, column, value)
            elif isinstance(value, Decimal):
                parts = value.as_tuple()
                exponent = parts.exponent
                if len(parts.digits) > XLSX_MAX_DIGITS or not isinstance(exponent, int):
                    sheet.write_string(row_index, column, format(value, "f"))
                else:
                    decimals = max(-exponent, 0)
                    sheet.write_number(
                        row_index, column, float(value), self.amount_format(decimals)
                    )
            elif isinstance(value, int):
                if len(str(abs(value))) > XLSX_MAX_DIGITS:
                    sheet.write_string(row_index, column, str(value))
                else:
                    sheet.write_number(row_index, column, value)
            elif isinstance(value, dt.datetime):
                naive_utc = _utc(value).replace(tzinfo=None)
                sheet.write_datetime(row_index, column, naive_utc, self.datetime_format)
            elif isinstance(value, dt.date):
                sheet.write_datetime(row_index, column, value, self.date_format)
            elif isinstance(value, dict | list):
                text = json.dumps(value, sort_keys=True, separators=(",", ":"))
                sheet.write_string(row_index, column, text)
            else:
                # write_string, never write(): text from users must not become a formula.
                sheet.write_string(row_index, column, str(value))


def _utc(value: dt.datetime) -> dt.datetime:
    assert value.tzinfo is not None, "exports take aware datetimes only"
    return value.astimezone(dt.UTC)
