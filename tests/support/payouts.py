"""Helpers for the payouts tests: money in and out of a platform, payouts, the balances, entries
and transitions to check, and waiting for the running parts (see tests/payouts/conftest.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ledger import selectors as ledger_selectors
from ledger.money import to_minor
from payouts.common.accounts import available_code, held_code, in_transit_code
from payouts.lifecycle.models import Payout
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from tests.factories import EarningFactory, FundingFactory, PayoutFactory, PayoutMethodFactory
from tests.factories.payouts import ACTOR, ROUTING

__all__ = ["ACTOR", "ROUTING"]


def bank_method(
    platform: Platform, payee: Payee, account_number: str = "000123456789"
) -> PayoutMethod:
    """A USD bank account in the payee's name (the account number's last digits choose the
    sandbox's outcome)."""
    method: PayoutMethod = PayoutMethodFactory.create(
        platform=platform, payee=payee, account_number=account_number
    )
    return method


def fund(platform: Platform, amount: str, currency: str = "USD") -> None:
    FundingFactory.create(platform=platform, amount=amount, currency=currency)


def earn(platform: Platform, payee: Payee, amount: str, currency: str = "USD") -> None:
    EarningFactory.create(platform=platform, payee=payee, amount=amount, currency=currency)


def pay(platform: Platform, payee: Payee, method: PayoutMethod, amount: str, **kw: Any) -> Payout:
    """``payout_create`` in USD by the test's maker (``kw``: speed, scheduled_for, actor...)."""
    payout: Payout = PayoutFactory.create(
        platform=platform, payee_id=payee.id, method=method, amount=amount, **kw
    )
    return payout


def verify_clean(platform: Platform) -> None:
    """The book re-derives from its postings with no drift, and ``ledger_verify`` agrees."""
    from django.core.management import call_command

    assert list(ledger_selectors.ledger_drift(book_id=platform.book_id)) == []
    call_command("ledger_verify")  # exits non-zero on drift


def balance(platform: Platform, code: str, currency: str = "USD") -> str:
    """An account's balance as a string ("0.00" when never opened)."""
    info = ledger_selectors.account_get(book_id=platform.book_id, code=code, currency=currency)
    return "0.00" if info is None else str(info.balance)


def balances(
    platform: Platform, payee: Payee, currency: str = "USD", rail: str = "sandbox"
) -> dict[str, str]:
    return {
        "available": balance(platform, available_code(payee.id), currency),
        "held": balance(platform, held_code(payee.id), currency),
        "in_transit": balance(platform, in_transit_code(rail), currency),
        "fees": balance(platform, "fees", currency),
        "cash": balance(platform, "cash", currency),
        "funding": balance(platform, "funding", currency),
    }


def transitions(payout: Payout) -> list[tuple[str, str]]:
    return list(payout.transitions.order_by("id").values_list("from_status", "to_status"))


def entry_kinds(payout: Payout) -> list[str]:
    kinds = []
    for entry_id in (
        payout.transitions.exclude(entry_id=None).order_by("id").values_list("entry_id", flat=True)
    ):
        entry = ledger_selectors.entry_get(entry_id=entry_id)
        assert entry is not None
        kinds.append(entry.kind)
    return kinds


def wait_for(predicate: Callable[[], bool], timeout_s: float = 30, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what or predicate}")
        time.sleep(0.1)


def sweeping(predicate: Callable[[], bool]) -> Callable[[], bool]:
    """``predicate``, which also sends ``payouts.sweep`` about once a second, as beat would."""
    from celery import current_app

    last = [0.0]

    def check() -> bool:
        if predicate():
            return True
        if time.monotonic() - last[0] > 1:
            current_app.send_task("payouts.sweep")
            last[0] = time.monotonic()
        return False

    return check


def status_of(payout_id: int) -> str:
    return Payout.objects.values_list("status", flat=True).get(pk=payout_id)


def minor(amount: str, currency: str = "USD") -> int:
    return to_minor(amount, currency)


@dataclass
class Running:
    sandbox: Any
    callback_url: str
