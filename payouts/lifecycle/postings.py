"""The posting rules (docs/architecture.md), for each payout event, as ledger entry specs.

Every status change of a payout that moves money posts exactly one of these, with an
idempotency key derived from the payout (and attempt), so a replay can never post it twice.
"""

from __future__ import annotations

from ledger.types import Direction, EntrySpec, Line
from payouts.common.accounts import account_id, available_code, held_code, in_transit_code
from payouts.lifecycle.models import Payout
from payouts.platforms.models import FeeBearer

D, C = Direction.DEBIT, Direction.CREDIT


class _Chart:
    """Account ids of one payout's book and currency."""

    def __init__(self, payout: Payout, book_id: int) -> None:
        self.book_id = book_id
        self.payout = payout

    def __getattr__(self, name: str) -> int:
        payout = self.payout
        code = {
            "available": available_code(payout.payee_id),
            "held": held_code(payout.payee_id),
            "in_transit": in_transit_code(payout.rail),
        }.get(name, name)
        return account_id(book_id=self.book_id, code=code, currency=payout.currency)


def _spec(
    payout: Payout, book_id: int, kind: str, key: str, lines: list[tuple[int, Direction, int]]
) -> EntrySpec:
    return EntrySpec(
        book_id=book_id,
        kind=kind,
        idempotency_key=key,
        lines=[
            Line(account_id=acct, direction=direction, amount_minor=minor, currency=payout.currency)
            for acct, direction, minor in lines
            if minor
        ],
        memo=f"{kind} payout {payout.id}",
        refs={"payout": payout.id, "payee": payout.payee_id},
    )


def hold(payout: Payout, book_id: int) -> EntrySpec:
    """Creation: available -> held, the whole amount."""
    a = _Chart(payout, book_id)
    m = payout.amount_minor
    return _spec(
        payout,
        book_id,
        "payout.hold",
        f"payout:{payout.id}:hold",
        [(a.available, D, m), (a.held, C, m)],
    )


def release(payout: Payout, book_id: int, why: str) -> EntrySpec:
    """Canceled, rejected, or failed before submission: held -> available."""
    a = _Chart(payout, book_id)
    m = payout.amount_minor
    return _spec(
        payout,
        book_id,
        f"payout.release.{why}",
        f"payout:{payout.id}:release",
        [(a.held, D, m), (a.available, C, m)],
    )


def submit(payout: Payout, book_id: int, attempt_number: int) -> EntrySpec:
    """Submitted to a rail: held (gross) -> in transit (net) + fees. When the platform bears the
    fee, its funding pays the fee and the whole amount goes in transit."""
    a = _Chart(payout, book_id)
    lines = [(a.held, D, payout.amount_minor), (a.in_transit, C, payout.net_minor)]
    if payout.fee_bearer == FeeBearer.PLATFORM:
        lines.append((a.funding, D, payout.fee_minor))
    lines.append((a.fees, C, payout.fee_minor))
    return _spec(
        payout, book_id, "payout.submit", f"payout:{payout.id}:submit:{attempt_number}", lines
    )


def settle(payout: Payout, book_id: int) -> EntrySpec:
    """The rail confirms settlement: in transit -> cash."""
    a = _Chart(payout, book_id)
    n = payout.net_minor
    return _spec(
        payout,
        book_id,
        "payout.settle",
        f"payout:{payout.id}:settle",
        [(a.in_transit, D, n), (a.cash, C, n)],
    )


def fail(payout: Payout, book_id: int) -> EntrySpec:
    """The rail failed after submission, no money moved: the submit entry's mirror, so the payee
    gets the whole amount back and the fee is refunded (to funding when the platform paid it)."""
    a = _Chart(payout, book_id)
    lines = [(a.in_transit, D, payout.net_minor), (a.fees, D, payout.fee_minor)]
    lines.append((a.available, C, payout.amount_minor))
    if payout.fee_bearer == FeeBearer.PLATFORM:
        lines.append((a.funding, C, payout.fee_minor))
    return _spec(payout, book_id, "payout.fail", f"payout:{payout.id}:fail", lines)


def return_(payout: Payout, book_id: int) -> EntrySpec:
    """Returned after settlement (ACH R01, ...): the money comes back to cash and the net amount
    to the payee's available balance; the fee is not refunded."""
    a = _Chart(payout, book_id)
    n = payout.net_minor
    return _spec(
        payout,
        book_id,
        "payout.return",
        f"payout:{payout.id}:return",
        [(a.cash, D, n), (a.available, C, n)],
    )


def suspense_out(payout: Payout, book_id: int, amount_minor: int, key: str) -> EntrySpec:
    """Money left cash that no live payout carries (a provider paid a payout that had already
    ended): cash -> suspense, never to the payee, until a person resolves it."""
    a = _Chart(payout, book_id)
    return _spec(
        payout,
        book_id,
        "payout.suspense_out",
        f"payout:{payout.id}:suspense_out:{key}",
        [(a.suspense, D, amount_minor), (a.cash, C, amount_minor)],
    )


def suspense_in(payout: Payout, book_id: int, amount_minor: int, key: str) -> EntrySpec:
    """Money came back for a payout that had ended after it went out to suspense: suspense ->
    cash, the mirror of ``suspense_out``."""
    a = _Chart(payout, book_id)
    return _spec(
        payout,
        book_id,
        "payout.suspense_in",
        f"payout:{payout.id}:suspense_in:{key}",
        [(a.cash, D, amount_minor), (a.suspense, C, amount_minor)],
    )
