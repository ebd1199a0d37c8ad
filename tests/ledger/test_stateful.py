"""A hypothesis state machine that posts, reverses and batches random valid entries.

After every step the books are re-derived from their postings: each stored balance equals the
sum of its postings, every running balance follows from the one before, each trial balance nets
to zero, and each balance equals a model kept independently in Python.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core.errors import DomainError
from ledger import selectors, services
from ledger.money import normal_sign, to_minor
from ledger.types import Direction, EntryInfo, EntrySpec, Line

CURRENCIES = ("USD", "JPY", "BHD")
ACCOUNT_TYPES = ("asset", "liability", "equity", "revenue", "expense")
_books = itertools.count(1)
_keys = itertools.count(1)


def amounts(currency: str) -> st.SearchStrategy[Decimal]:
    exponent = {"USD": 2, "JPY": 0, "BHD": 3}[currency]
    return st.integers(min_value=1, max_value=10**7).map(lambda n: Decimal(n).scaleb(-exponent))


class LedgerMachine(RuleBasedStateMachine):
    entries = Bundle("entries")

    @initialize()
    def open_book(self) -> None:
        self.book = services.book_open(code=f"stateful-{next(_books)}")
        self.accounts: dict[str, list[tuple[int, str]]] = {}  # currency -> [(id, type)]
        for currency in CURRENCIES:
            self.accounts[currency] = []
            for index, account_type in enumerate(ACCOUNT_TYPES):
                floor = "0" if account_type == "liability" and index % 2 else None
                account = services.account_open(
                    book_id=self.book.id,
                    code=f"{account_type}-{index}",
                    currency=currency,
                    type=account_type,
                    floor=floor,
                )
                self.accounts[currency].append((account.id, account_type))
        self.model: dict[int, int] = defaultdict(int)  # account id -> balance in minor units
        self.floored = {
            account_id
            for pairs in self.accounts.values()
            for account_id, account_type in pairs
            if account_type == "liability"
        }

    def _apply(self, entry: EntryInfo) -> None:
        types = {aid: t for pairs in self.accounts.values() for aid, t in pairs}
        for posting in entry.postings:
            minor = posting.amount_minor
            signed = minor if posting.direction is Direction.DEBIT else -minor
            self.model[posting.account_id] += normal_sign(types[posting.account_id]) * signed

    def _spec(self, data: st.DataObject) -> EntrySpec:
        currency = data.draw(st.sampled_from(CURRENCIES))
        pairs = self.accounts[currency]
        debit_index = data.draw(st.integers(0, len(pairs) - 1))
        credit_index = data.draw(st.integers(0, len(pairs) - 1))
        minor = to_minor(data.draw(amounts(currency)), currency)
        split = data.draw(st.booleans()) and minor % 2 == 0
        lines = [Line(pairs[debit_index][0], Direction.DEBIT, minor)]
        if split:
            half = minor // 2
            lines += [
                Line(pairs[credit_index][0], Direction.CREDIT, half),
                Line(pairs[(credit_index + 1) % len(pairs)][0], Direction.CREDIT, half),
            ]
        else:
            lines.append(Line(pairs[credit_index][0], Direction.CREDIT, minor))
        return EntrySpec(
            book_id=self.book.id, kind="random", idempotency_key=f"k-{next(_keys)}", lines=lines
        )

    @rule(target=entries, data=st.data())
    def post(self, data: st.DataObject) -> EntryInfo | None:
        spec = self._spec(data)
        try:
            entry = services.entry_post(
                book_id=spec.book_id,
                kind=spec.kind,
                idempotency_key=spec.idempotency_key,
                lines=spec.lines,
            )
        except DomainError as exc:
            assert exc.code == "below_floor", exc
            return None
        self._apply(entry)
        return entry

    @rule(data=st.data(), size=st.integers(min_value=1, max_value=8))
    def batch(self, data: st.DataObject, size: int) -> None:
        specs = [self._spec(data) for _ in range(size)]
        try:
            posted = services.entries_post(entries=specs)
        except DomainError as exc:
            assert exc.code == "below_floor", exc
            return
        for entry in posted:
            self._apply(entry)

    @rule(entry=entries)
    def reverse(self, entry: EntryInfo | None) -> None:
        if entry is None:
            return
        try:
            reversal = services.entry_reverse(entry_id=entry.id)
        except DomainError as exc:
            assert exc.code in {"below_floor", "already_reversed"}, exc
            return
        if not reversal.replayed:
            self._apply(reversal)

    @rule(entry=entries)
    def replay(self, entry: EntryInfo | None) -> None:
        if entry is None:
            return
        again = services.entry_post(
            book_id=entry.book_id,
            kind=entry.kind,
            idempotency_key=entry.idempotency_key,
            lines=[Line(p.account_id, p.direction, p.amount_minor) for p in entry.postings],
        )
        assert again.replayed and again.id == entry.id

    @invariant()
    def books_rederive_cleanly(self) -> None:
        if not hasattr(self, "book"):
            return
        assert selectors.ledger_drift(book_id=self.book.id) == []
        for pairs in self.accounts.values():
            for account_id, _ in pairs:
                balance = selectors.account_balance(account_id=account_id)
                assert balance is not None
                assert to_minor(balance.amount, balance.currency) == self.model[account_id]
                if account_id in self.floored:
                    assert balance.amount >= 0


@pytest.mark.django_db(transaction=True)
def test_ledger_state_machine() -> None:
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
