"""Demo data for ``make run``: the book ``demo-platform`` with a few weeks of payout activity.

Idempotent: accounts open only if missing and every entry has a fixed idempotency key and fixed
content, so a second run posts nothing and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.errors import DomainError
from core.progress import add_progress_argument, progress_bar
from ledger import services
from ledger.money import to_minor
from ledger.types import Direction, EntrySpec, Line

BOOK_CODE = "demo-platform"
BOOK_NAME = "Demo platform"
CURRENCIES = ("USD", "EUR")
PAYEES = ("demo-1", "demo-2", "demo-3")


@dataclass(frozen=True)
class _AccountSpec:
    code: str
    type: str
    name: str
    floor: str | None


def _chart() -> list[_AccountSpec]:
    """The chart of accounts (payouts/common/accounts.py) that the demo uses (per currency)."""
    chart = [
        _AccountSpec("cash", "asset", "Cash at the operator's bank", None),
        _AccountSpec("funding", "liability", "Platform prefunded balance", "0"),
    ]
    for payee in PAYEES:
        chart += [
            _AccountSpec(f"payee:{payee}:available", "liability", f"Payee {payee} available", "0"),
            _AccountSpec(f"payee:{payee}:held", "liability", f"Payee {payee} held", "0"),
        ]
    chart += [
        _AccountSpec("in_transit:ach", "liability", "Submitted to ACH, not yet settled", None),
        _AccountSpec("fees", "revenue", "Fee income", None),
    ]
    return chart


def _day(day: int) -> dt.date:
    return dt.date(2026, 11, day)


# (idempotency key, effective date, kind, currency, memo, [(account code, direction, amount)],
# refs), in posting order: each entry follows the platform's posting rules.
_D, _C = Direction.DEBIT, Direction.CREDIT
_Lines = list[tuple[str, Direction, str]]
_ENTRIES: list[tuple[str, dt.date, str, str, str, _Lines, dict[str, str]]] = [
    ("demo:usd:funding:1", _day(2), "funding.received", "USD", "Platform wire received",
     [("cash", _D, "10000.00"), ("funding", _C, "10000.00")], {}),
    ("demo:usd:earning:1", _day(3), "earning.credited", "USD", "October earnings",
     [("funding", _D, "1200.00"), ("payee:demo-1:available", _C, "1200.00")], {"payee": "demo-1"}),
    ("demo:usd:earning:2", _day(3), "earning.credited", "USD", "October earnings",
     [("funding", _D, "850.00"), ("payee:demo-2:available", _C, "850.00")], {"payee": "demo-2"}),
    ("demo:usd:earning:3", _day(3), "earning.credited", "USD", "October earnings",
     [("funding", _D, "430.50"), ("payee:demo-3:available", _C, "430.50")], {"payee": "demo-3"}),
    ("demo:usd:payout:1:hold", _day(4), "payout.hold", "USD", "Payout demo-po-1 created",
     [("payee:demo-1:available", _D, "500.00"), ("payee:demo-1:held", _C, "500.00")],
     {"payee": "demo-1", "payout": "demo-po-1"}),
    ("demo:usd:payout:1:submit", _day(5), "payout.submit", "USD", "Payout demo-po-1 sent by ACH",
     [("payee:demo-1:held", _D, "500.00"), ("in_transit:ach", _C, "497.50"),
      ("fees", _C, "2.50")],
     {"payee": "demo-1", "payout": "demo-po-1"}),
    ("demo:usd:payout:1:settle", _day(7), "payout.settle", "USD", "Payout demo-po-1 settled",
     [("in_transit:ach", _D, "497.50"), ("cash", _C, "497.50")],
     {"payee": "demo-1", "payout": "demo-po-1"}),
    ("demo:usd:payout:2:hold", _day(6), "payout.hold", "USD", "Payout demo-po-2 created",
     [("payee:demo-2:available", _D, "300.00"), ("payee:demo-2:held", _C, "300.00")],
     {"payee": "demo-2", "payout": "demo-po-2"}),
    ("demo:usd:payout:2:submit", _day(6), "payout.submit", "USD", "Payout demo-po-2 sent by ACH",
     [("payee:demo-2:held", _D, "300.00"), ("in_transit:ach", _C, "297.50"),
      ("fees", _C, "2.50")],
     {"payee": "demo-2", "payout": "demo-po-2"}),
    ("demo:usd:payout:2:settle", _day(9), "payout.settle", "USD", "Payout demo-po-2 settled",
     [("in_transit:ach", _D, "297.50"), ("cash", _C, "297.50")],
     {"payee": "demo-2", "payout": "demo-po-2"}),
    ("demo:usd:payout:3:hold", _day(10), "payout.hold", "USD", "Payout demo-po-3 created",
     [("payee:demo-2:available", _D, "100.00"), ("payee:demo-2:held", _C, "100.00")],
     {"payee": "demo-2", "payout": "demo-po-3"}),
    ("demo:usd:payout:3:cancel", _day(10), "payout.release", "USD", "Payout demo-po-3 canceled",
     [("payee:demo-2:held", _D, "100.00"), ("payee:demo-2:available", _C, "100.00")],
     {"payee": "demo-2", "payout": "demo-po-3"}),
    ("demo:usd:earning:4", _day(12), "earning.credited", "USD", "Bonus",
     [("funding", _D, "150.00"), ("payee:demo-1:available", _C, "150.00")], {"payee": "demo-1"}),
    ("demo:usd:payout:4:hold", _day(13), "payout.hold", "USD", "Payout demo-po-4 created",
     [("payee:demo-1:available", _D, "250.00"), ("payee:demo-1:held", _C, "250.00")],
     {"payee": "demo-1", "payout": "demo-po-4"}),
    ("demo:usd:payout:4:submit", _day(14), "payout.submit", "USD", "Payout demo-po-4 sent by ACH",
     [("payee:demo-1:held", _D, "250.00"), ("in_transit:ach", _C, "247.50"),
      ("fees", _C, "2.50")],
     {"payee": "demo-1", "payout": "demo-po-4"}),
    ("demo:usd:payout:5:hold", _day(16), "payout.hold", "USD", "Payout demo-po-5 created",
     [("payee:demo-3:available", _D, "200.00"), ("payee:demo-3:held", _C, "200.00")],
     {"payee": "demo-3", "payout": "demo-po-5"}),
    ("demo:eur:funding:1", _day(2), "funding.received", "EUR", "Platform SEPA transfer received",
     [("cash", _D, "5000.00"), ("funding", _C, "5000.00")], {}),
    ("demo:eur:earning:1", _day(3), "earning.credited", "EUR", "October earnings",
     [("funding", _D, "700.00"), ("payee:demo-1:available", _C, "700.00")], {"payee": "demo-1"}),
    ("demo:eur:earning:2", _day(3), "earning.credited", "EUR", "October earnings",
     [("funding", _D, "320.00"), ("payee:demo-3:available", _C, "320.00")], {"payee": "demo-3"}),
    ("demo:eur:payout:6:hold", _day(11), "payout.hold", "EUR", "Payout demo-po-6 created",
     [("payee:demo-3:available", _D, "320.00"), ("payee:demo-3:held", _C, "320.00")],
     {"payee": "demo-3", "payout": "demo-po-6"}),
    ("demo:eur:payout:6:submit", _day(12), "payout.submit", "EUR", "Payout demo-po-6 sent by ACH",
     [("payee:demo-3:held", _D, "320.00"), ("in_transit:ach", _C, "318.00"),
      ("fees", _C, "2.00")],
     {"payee": "demo-3", "payout": "demo-po-6"}),
    ("demo:eur:payout:6:settle", _day(16), "payout.settle", "EUR", "Payout demo-po-6 settled",
     [("in_transit:ach", _D, "318.00"), ("cash", _C, "318.00")],
     {"payee": "demo-3", "payout": "demo-po-6"}),
]  # fmt: skip


class Command(BaseCommand):
    help = (
        f"Create the demo book {BOOK_CODE!r} with {', '.join(CURRENCIES)} accounts and "
        f"{len(_ENTRIES)} entries of funding, earnings and payouts. Safe to run again."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_progress_argument(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        chart = _chart()
        bar = progress_bar(
            self,
            total=len(chart) * len(CURRENCIES) + len(_ENTRIES),
            desc="seed_demo",
            unit="step",
            enabled=not options["no_progress"],
        )
        try:
            with bar:
                book = services.book_open(code=BOOK_CODE, name=BOOK_NAME)
                account_ids: dict[tuple[str, str], int] = {}
                for currency in CURRENCIES:
                    for spec in chart:
                        account = services.account_open(
                            book_id=book.id,
                            code=spec.code,
                            currency=currency,
                            type=spec.type,
                            name=spec.name,
                            floor=spec.floor,
                        )
                        account_ids[(spec.code, currency)] = account.id
                        bar.update(1)
                specs = [
                    EntrySpec(
                        book_id=book.id,
                        kind=kind,
                        lines=[
                            Line(
                                account_ids[(code, currency)],
                                direction,
                                to_minor(amount, currency),
                                currency,
                            )
                            for code, direction, amount in lines
                        ],
                        idempotency_key=key,
                        effective_date=effective_date,
                        memo=memo,
                        metadata={"demo": True},
                        refs=refs,
                    )
                    for key, effective_date, kind, currency, memo, lines, refs in _ENTRIES
                ]
                # One batch: all the demo entries or none of them.
                posted = services.entries_post(entries=specs)
                bar.update(len(specs))
        except DomainError as exc:
            raise CommandError(f"seed_demo: {exc}") from exc
        fresh = sum(1 for entry in posted if not entry.replayed)
        self.stdout.write(f"seed_demo: book {book.code} (id {book.id})")
        self.stdout.write(
            f"seed_demo: {len(account_ids)} accounts in {', '.join(CURRENCIES)} "
            f"({len(chart)} per currency)"
        )
        self.stdout.write(
            f"seed_demo: {len(posted)} entries: {fresh} posted, {len(posted) - fresh} already there"
            + ("" if fresh else " (nothing changed)")
        )
