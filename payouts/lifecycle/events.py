"""The payout's events: ``payout.created`` and one per published status. Emitted in the
caller's transaction, each payout locked by the caller (or new in its transaction), and rendered
by the renderer the app registers (``payouts.event_renderers``)."""

from __future__ import annotations

from collections.abc import Sequence

from payouts.lifecycle.models import Payout
from payouts.lifecycle.rules import PayoutStatus as S
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
EVENT_TYPES: tuple[str, ...] = ("payout.created", *PAYOUT_STATUS_EVENTS.values())


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
