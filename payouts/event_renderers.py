"""How payouts, payees and batches read in their events: as the API shows them. Registered with
the webhooks app at start-up (``PayoutsConfig.ready``), with the payouts app's event types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import prefetch_related_objects

from payouts.batches import events as batch_events
from payouts.batches.models import PayoutBatch
from payouts.lifecycle import events as payout_events
from payouts.lifecycle.models import Payout
from payouts.payees import events as payee_events
from payouts.payees.models import Payee
from webhooks import registry


def register() -> None:
    registry.event_types_register(
        *payout_events.EVENT_TYPES, *batch_events.EVENT_TYPES, *payee_events.EVENT_TYPES
    )
    registry.renderer_register("payout", payouts_render)
    registry.renderer_register("payee", payees_render)
    registry.renderer_register("payout_batch", batches_render)


def payouts_render(payouts: Sequence[Payout]) -> list[dict[str, Any]]:
    from api.serializers.payouts import payout_data

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


def payees_render(payees: Sequence[Payee]) -> list[dict[str, Any]]:
    from api.serializers.payees import payee_data

    return [payee_data(payee) for payee in payees]


def batches_render(batches: Sequence[PayoutBatch]) -> list[dict[str, Any]]:
    from api.serializers.batches import batch_data

    return [batch_data(batch) for batch in batches]
