"""The batch's event, ``batch.completed``, rendered by the renderer the app registers
(``payouts.event_renderers``)."""

from __future__ import annotations

from payouts.batches.models import PayoutBatch
from webhooks.events import Emitted, objects_emit

EVENT_TYPES: tuple[str, ...] = ("batch.completed",)


def batch_completed_emit(*, batch: PayoutBatch) -> Emitted:
    """``batch.completed`` for a batch whose row the caller has locked."""
    return objects_emit(object_type="payout_batch", items=[(batch, "batch.completed")])
