"""Reads of batches and their items, each scoped to one platform."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from core.db.lookup import narrowed, one_of
from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.common.errors import BatchNotFound
from payouts.platforms.models import Platform

# The columns of an item's result, as ``values()`` rows (what the API renders an item from).
ITEM_VALUES = (
    "id",
    "line",
    "status",
    "data",
    "payee_id",
    "method_id",
    "amount_minor",
    "fee_minor",
    "currency",
    "payout_id",
    "payout__status",
    "error_code",
    "error_message",
)


def batch_get(*, platform: Platform, batch_id: object) -> PayoutBatch:
    """A batch of this platform; another platform's is ``BatchNotFound`` like a missing one."""
    return batch_find(platform, batch_id, lock=False)


def batch_find(platform: Platform, batch_id: object, *, lock: bool) -> PayoutBatch:
    """``batch_get``, optionally locking the row (``FOR NO KEY UPDATE``) for a change."""
    batches = PayoutBatch.objects.filter(platform=platform)
    if lock:
        batches = batches.select_for_update(no_key=True)
    return one_of(batches, batch_id, error=BatchNotFound, what="batch", field="batch")


def batch_list(
    *,
    platform_id: int,
    status: str | None = None,
    created_gte: dt.datetime | None = None,
    created_lte: dt.datetime | None = None,
) -> QuerySet[PayoutBatch]:
    """A platform's batches, narrowed by whichever filters are given."""
    return narrowed(
        PayoutBatch.objects.filter(platform_id=platform_id),
        status=status,
        created__gte=created_gte,
        created__lte=created_lte,
    )


def batch_item_rows(
    *, platform_id: int, batch_id: int, status: str | None = None
) -> QuerySet[PayoutBatchItem, dict[str, Any]]:
    """A batch's item results as ``values(*ITEM_VALUES)`` rows in line order, only those in
    ``status`` when given."""
    items = PayoutBatchItem.objects.filter(batch__platform_id=platform_id, batch_id=batch_id)
    return narrowed(items, status=status).values(*ITEM_VALUES).order_by("line")
