"""Helpers shared by the ledger tests: the state that must not change, posting, the demo journal
and running commands."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any

from django.core.management import call_command
from django.db import connection

from ledger import selectors, services
from ledger.types import AccountInfo, BookInfo, Direction, EntryInfo, Line

DAY = dt.date(2026, 11, 2)


def state() -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ledger_entry")
        entries = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM ledger_posting")
        postings = cursor.fetchone()[0]
        cursor.execute("SELECT id, balance_minor, version FROM ledger_account ORDER BY id")
        accounts = tuple(cursor.fetchall())
    return entries, postings, accounts


def fund(
    book: BookInfo, accounts: dict[str, AccountInfo], amount_minor: int = 10000, key: str = "f1"
):
    return services.entry_post(
        book_id=book.id,
        kind="funding.received",
        idempotency_key=key,
        effective_date=DAY,
        lines=[
            Line(accounts["cash"].id, Direction.DEBIT, amount_minor),
            Line(accounts["funding"].id, Direction.CREDIT, amount_minor),
        ],
    )


def balance(account: AccountInfo) -> str:
    result = selectors.account_balance(account_id=account.id)
    assert result is not None
    return f"{result.amount} v{result.version}"


def post(book: BookInfo, lines: list[Line], key: str = "k", **kwargs: Any) -> Any:
    return services.entry_post(
        book_id=book.id, kind="test", idempotency_key=key, lines=lines, **kwargs
    )


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
