"""Re-derive every balance from its postings and fail (exit status 1) on any drift."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.progress import add_progress_argument, bar_print, progress_bar
from ledger import selectors
from ledger.management.commands import add_book_argument, book_resolve


class Command(BaseCommand):
    help = (
        "Check that every account's stored balance and version, every running balance, every "
        "entry and every trial balance agree with the postings. Prints each drift and a summary; "
        "exits with status 1 if anything drifted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_book_argument(parser, required=False)
        add_progress_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        books = [book_resolve(options["book"])] if options["book"] else selectors.book_list()
        accounts = drifts = 0
        bar = progress_bar(
            self,
            total=len(books),
            desc="ledger_verify",
            unit="book",
            enabled=not options["no_progress"],
        )
        with bar:
            for book in books:
                found = selectors.ledger_drift(book_id=book.id)
                accounts += selectors.account_count(book_id=book.id)
                for drift in found:
                    bar_print(
                        self,
                        bar,
                        f"DRIFT book {book.code} (id {book.id}): {drift.kind}: {drift.subject}: "
                        f"{drift.detail}",
                    )
                drifts += len(found)
                bar.update(1)
        summary = (
            f"ledger_verify: {len(books)} book{'s' if len(books) != 1 else ''}, "
            f"{accounts} accounts checked, {drifts} drift{'s' if drifts != 1 else ''}"
        )
        if drifts:
            self.stdout.write(summary, self.style.ERROR)
            raise CommandError(f"{drifts} drift{'s' if drifts != 1 else ''} found")
        self.stdout.write(summary, self.style.SUCCESS)
