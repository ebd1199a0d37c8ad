"""A batch as the API shows it and its events carry it: one function for both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from payouts.batches.models import PayoutBatch
from payouts.common.representation import when


def batch_data(batch: PayoutBatch) -> dict[str, Any]:
    """A batch as the API and its events show it (its items are listed separately)."""
    return {
        "id": batch.id,
        "object": "payout_batch",
        "status": batch.status,
        "description": batch.description,
        "source": batch.source,
        "item_count": batch.item_count,
        "invalid_count": batch.invalid_count,
        "requires_approval": batch.requires_approval,
        "quote": batch.quote,
        "created_by": batch.created_by,
        "approved_by": batch.approved_by,
        "approved_at": when(batch.approved_at),
        "completed_at": when(batch.completed_at),
        "created": when(batch.created),
        "updated": when(batch.updated),
    }


def batches_render(batches: Sequence[PayoutBatch]) -> list[dict[str, Any]]:
    """The renderer of ``payout_batch`` events (``webhooks.registry``)."""
    return [batch_data(batch) for batch in batches]
