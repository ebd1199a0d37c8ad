"""Housekeeping of the API's idempotency keys (``api.idempotency`` writes them)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from api.models import IdempotencyKey

KEEP_DAYS = 30


def idempotency_keys_purge(*, older_than: dt.timedelta = dt.timedelta(days=KEEP_DAYS)) -> int:
    """Delete keys older than 30 days (by default); returns how many went. A request that
    reuses a purged key runs again as a new request."""
    cutoff = timezone.now() - older_than
    deleted, _ = IdempotencyKey.objects.filter(created__lt=cutoff).delete()
    return deleted
