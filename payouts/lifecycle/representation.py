"""A payout as the API shows it and its events carry it: one function for both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import prefetch_related_objects

from payouts.common.representation import money, when
from payouts.lifecycle.models import Payout


def payout_data(payout: Payout) -> dict[str, Any]:
    """A payout as the API and its events show it. Uses prefetched ``transitions`` and
    ``method`` when the caller loaded them."""
    method = payout.method
    entries = [t.entry_id for t in payout.transitions.all() if t.entry_id is not None]
    return {
        "id": payout.id,
        "object": "payout",
        "status": payout.status,
        "is_final": payout.is_final,
        "amount": money(payout.amount_minor, payout.currency),
        "fee": money(payout.fee_minor, payout.currency),
        "net_amount": money(payout.net_minor, payout.currency),
        "currency": payout.currency,
        "fee_bearer": payout.fee_bearer,
        "payee": payout.payee_id,
        "payout_method": {"id": method.id, "type": method.type, "last4": method.last4},
        "batch": payout.batch_id,
        "speed": payout.speed,
        "rail": payout.rail,
        "estimated_arrival": when(payout.estimated_arrival),
        "scheduled_for": when(payout.scheduled_for),
        "description": payout.description,
        "failure_code": payout.failure_code or None,
        "failure_message": payout.failure_message or None,
        "ledger_entries": sorted(set(entries)),
        "created": when(payout.created),
        "updated": when(payout.updated),
    }


def payouts_render(payouts: Sequence[Payout]) -> list[dict[str, Any]]:
    """The renderer of ``payout`` events (``webhooks.registry``): ``payout_data`` of each."""
    # Two queries for the whole chunk rather than two per payout (the method, and the
    # transitions that give the ledger entries), never a caller's prefetch from before the change.
    _forget_transitions(payouts)
    prefetch_related_objects(list(payouts), "method", "transitions")
    try:
        return [payout_data(payout) for payout in payouts]
    finally:
        # The caller may move these payouts on in this transaction: no stale transitions.
        _forget_transitions(payouts)


def _forget_transitions(payouts: Sequence[Payout]) -> None:
    for payout in payouts:
        getattr(payout, "_prefetched_objects_cache", {}).pop("transitions", None)
