"""Export a book's journal (one row per posting) as CSV or XLSX, streaming in constant memory."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from xlsxwriter.exceptions import FileCreateError

from core.errors import DomainError
from core.progress import add_progress_argument, progress_bar
from ledger import exports, selectors
from ledger.management.commands import (
    add_book_argument,
    book_resolve,
    date_arg,
    output_check,
    output_file,
    stdout_may_close,
)


class Command(BaseCommand):
    help = (
        "Export a book's journal, one row per posting with its entry and running balance, as CSV "
        "(to stdout by default) or XLSX (to --output). Dates filter on the effective date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_book_argument(parser)
        parser.add_argument(
            "--from", dest="date_from", type=date_arg, metavar="YYYY-MM-DD", help="first date"
        )
        parser.add_argument(
            "--to", dest="date_to", type=date_arg, metavar="YYYY-MM-DD", help="last date"
        )
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument(
            "--output", metavar="PATH", help="file to write (required for xlsx; csv: stdout)"
        )
        add_progress_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        date_from, date_to = options["date_from"], options["date_to"]
        if date_from and date_to and date_from > date_to:
            raise CommandError(f"--from {date_from} is after --to {date_to}")
        fmt, output = options["format"], options["output"]
        if fmt == "xlsx" and not output:
            raise CommandError("--output PATH is required for --format xlsx")
        book = book_resolve(options["book"])
        total = selectors.journal_count(book_id=book.id, date_from=date_from, date_to=date_to)
        rows = selectors.journal_rows(book_id=book.id, date_from=date_from, date_to=date_to)
        bar = progress_bar(
            self, total=total, desc="journal", unit="row", enabled=not options["no_progress"]
        )
        try:
            with stdout_may_close(), bar:
                if fmt == "xlsx":
                    written = exports.write_xlsx(
                        rows,
                        header=selectors.JOURNAL_COLUMNS,
                        path=output_check(output),
                        row_count=total,
                        sheet_name="Journal",
                        progress=bar.update,
                    )
                elif output:
                    with output_file(output) as handle:
                        written = exports.write_csv(
                            rows, header=selectors.JOURNAL_COLUMNS, out=handle, progress=bar.update
                        )
                else:
                    written = exports.write_csv(
                        rows, header=selectors.JOURNAL_COLUMNS, out=self.stdout, progress=bar.update
                    )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        except (OSError, FileCreateError) as exc:
            raise CommandError(f"cannot write {output or 'stdout'}: {exc}") from exc
        self.stderr.write(
            f"export_journal: {written} postings of book {book.code} written to "
            f"{output or 'stdout'}",
            self.style.SUCCESS,
        )
