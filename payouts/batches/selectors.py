"""Reads of batches, each scoped to one platform."""

from __future__ import annotations

from core.db.lookup import one_of
from payouts.batches.models import PayoutBatch
from payouts.common.errors import BatchNotFound
from payouts.platforms.models import Platform


def batch_get(*, platform: Platform, batch_id: object) -> PayoutBatch:
    """A batch of this platform; another platform's is ``BatchNotFound`` like a missing one."""
    return batch_find(platform, batch_id, lock=False)


def batch_find(platform: Platform, batch_id: object, *, lock: bool) -> PayoutBatch:
    """``batch_get``, optionally locking the row (``FOR NO KEY UPDATE``) for a change."""
    batches = PayoutBatch.objects.filter(platform=platform)
    if lock:
        batches = batches.select_for_update(no_key=True)
    return one_of(batches, batch_id, error=BatchNotFound, what="batch", field="batch")
