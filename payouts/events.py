"""The events the payouts app publishes, and the calls that emit them (``webhooks.events``).

Each helper runs in the caller's transaction and needs the object's row locked (or new in that
transaction). The objects are rendered by the renderers registered at start-up
(``payouts.event_renderers``), as the API shows them at that moment.
"""

from __future__ import annotations

from collections.abc import Sequence

from payouts.batches.models import PayoutBatch
from payouts.lifecycle.models import Payout
from payouts.lifecycle.rules import PayoutStatus as S
from payouts.payees.models import Payee
from webhooks.events import Emitted, objects_emit

# A payout's move into one of these statuses is published; the others (in_review,
# awaiting_approval, scheduled) are internal steps.
PAYOUT_STATUS_EVENTS: dict[str, str] = {
    S.PROCESSING: "payout.processing",
    S.PAID: "payout.paid",
    S.FAILED: "payout.failed",
    S.RETURNED: "payout.returned",
    S.CANCELED: "payout.canceled",
    S.REJECTED: "payout.rejected",
}
EVENT_TYPES: tuple[str, ...] = (
    "payout.created",
    *PAYOUT_STATUS_EVENTS.values(),
    "batch.completed",
    "payee.updated",
)


def payout_events_emit(*, items: Sequence[tuple[Payout, str]]) -> Emitted:
    """Emit ``(payout, type)`` events, each payout rendered as the API shows it now. Each payout
    must be locked by the caller (or be new in its transaction)."""
    return objects_emit(object_type="payout", items=items)


def payout_status_events_emit(*, payouts: Sequence[Payout]) -> Emitted:
    """The status events of payouts that just moved: those now in a published status
    (``PAYOUT_STATUS_EVENTS``); the rest are skipped."""
    return payout_events_emit(
        items=[
            (p, PAYOUT_STATUS_EVENTS[p.status]) for p in payouts if p.status in PAYOUT_STATUS_EVENTS
        ]
    )


def payee_updated_emit(*, payee: Payee) -> Emitted:
    """``payee.updated`` for a payee whose row the caller has locked."""
    return objects_emit(object_type="payee", items=[(payee, "payee.updated")])


def batch_completed_emit(*, batch: PayoutBatch) -> Emitted:
    """``batch.completed`` for a batch whose row the caller has locked."""
    return objects_emit(object_type="payout_batch", items=[(batch, "batch.completed")])
