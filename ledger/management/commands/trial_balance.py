"""Print or export a book's trial balance as of a date, with per-currency totals."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.progress import add_progress_argument, progress_bar
from ledger import exports, selectors
from ledger.management.commands import (
    add_book_argument,
    book_resolve,
    date_arg,
    output_file,
    stdout_may_close,
)
from ledger.money import currency_exponent

CSV_COLUMNS = (
    "currency",
    "account_id",
    "account_code",
    "account_name",
    "account_type",
    "debit",
    "credit",
)


class Command(BaseCommand):
    help = (
        "Show a book's trial balance as of a date: every account's balance in a debit or credit "
        "column, with per-currency totals. A table by default; --format csv for a spreadsheet, "
        "where a row with an empty account_id is a currency's total."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_book_argument(parser)
        parser.add_argument(
            "--as-of",
            dest="as_of",
            type=date_arg,
            required=True,
            metavar="YYYY-MM-DD",
            help="include postings with an effective date on or before this day",
        )
        parser.add_argument("--currency", metavar="CCY", help="only this currency (ISO 4217)")
        parser.add_argument("--format", choices=("table", "csv"), default="table")
        parser.add_argument("--output", metavar="PATH", help="file to write (default: stdout)")
        add_progress_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        currency = (options["currency"] or "").strip().upper() or None
        if currency is not None:
            try:
                currency_exponent(currency)
            except DomainError as exc:
                raise CommandError(exc.message) from exc
        book = book_resolve(options["book"])
        balance = selectors.trial_balance(
            book_id=book.id, as_of=options["as_of"], currency=currency
        )
        if balance is None:
            raise CommandError(f"unknown book {options['book']!r}")
        bar = progress_bar(
            self,
            total=len(balance.rows),
            desc="trial balance",
            unit="account",
            enabled=not options["no_progress"],
        )
        output = options["output"]
        try:
            with stdout_may_close(), bar:
                if output:
                    with output_file(output) as handle:
                        self._render(balance, options["format"], handle, bar.update)
                else:
                    self._render(balance, options["format"], self.stdout, bar.update)
        except OSError as exc:
            raise CommandError(f"cannot write {output or 'stdout'}: {exc}") from exc
        if output:
            self.stderr.write(
                f"trial_balance: {len(balance.rows)} accounts written to {output}",
                self.style.SUCCESS,
            )

    def _render(
        self,
        balance: selectors.TrialBalance,
        fmt: str,
        out: exports.TextSink,
        progress: exports.Progress,
    ) -> None:
        if fmt == "csv":
            exports.write_csv(_csv_rows(balance), header=CSV_COLUMNS, out=out)
            progress(len(balance.rows))
        else:
            for line in _table_lines(balance):
                out.write(line + "\n")
            progress(len(balance.rows))


def _csv_rows(balance: selectors.TrialBalance) -> Iterator[tuple[Any, ...]]:
    totals = {total.currency: total for total in balance.totals}
    rows = list(balance.rows)
    for index, row in enumerate(rows):
        yield (row.currency, row.account_id, row.code, row.name, row.type, row.debit, row.credit)
        is_last_of_currency = index + 1 == len(rows) or rows[index + 1].currency != row.currency
        if is_last_of_currency:
            total = totals[row.currency]
            yield (
                total.currency,
                None,
                "",
                f"Total {total.currency}",
                "",
                total.debit,
                total.credit,
            )


def _amount(value: Decimal, *, blank_zero: bool = True) -> str:
    return "" if blank_zero and not value else f"{value:,}"


def _table_lines(balance: selectors.TrialBalance) -> Iterator[str]:
    book = balance.book
    currency_note = ""
    if balance.rows and len(balance.totals) == 1:
        currency_note = f" in {balance.totals[0].currency}"
    yield f"Trial balance of book {book.code} (id {book.id}) as of {balance.as_of}{currency_note}"
    if not balance.rows:
        yield "No accounts."
        return
    amounts = [_amount(total.debit, blank_zero=False) for total in balance.totals]
    amounts += [_amount(total.credit, blank_zero=False) for total in balance.totals]
    code_width = max(len("Account"), *(len(row.code) for row in balance.rows))
    type_width = max(len("Type"), *(len(row.type) for row in balance.rows))
    amount_width = max(len("Credit"), *(len(text) for text in amounts))

    def line(ccy: str, code: str, kind: str, debit: str, credit: str, *, note: str = "") -> str:
        text = (
            f"{ccy:<8}  {code:<{code_width}}  {kind:<{type_width}}  "
            f"{debit:>{amount_width}}  {credit:>{amount_width}}  {note}"
        )
        return text.rstrip()

    rule = line("-" * 8, "-" * code_width, "-" * type_width, "-" * amount_width, "-" * amount_width)
    totals = {total.currency: total for total in balance.totals}
    yield ""
    yield line("Currency", "Account", "Type", "Debit", "Credit")
    yield rule
    rows = list(balance.rows)
    for index, row in enumerate(rows):
        yield line(row.currency, row.code, row.type, _amount(row.debit), _amount(row.credit))
        if index + 1 == len(rows) or rows[index + 1].currency != row.currency:
            total = totals[row.currency]
            yield rule
            yield line(
                total.currency,
                "Total",
                "",
                _amount(total.debit, blank_zero=False),
                _amount(total.credit, blank_zero=False),
                note="balanced" if total.is_balanced else "NOT BALANCED",
            )
            yield ""
    if balance.is_balanced:
        yield "Balanced: yes (debits equal credits in every currency)"
    else:
        unbalanced = ", ".join(t.currency for t in balance.totals if not t.is_balanced)
        yield f"Balanced: NO ({unbalanced})"
