"""The API's Celery task: housekeeping of idempotency keys. Its name keeps the ``payouts.``
prefix it was scheduled under (the beat entry, and the route to the ``payouts`` queue)."""

from __future__ import annotations

from celery import shared_task

from api.services import idempotency_keys_purge
from core.tasking import TASK_RETRY


@shared_task(name="payouts.purge_idempotency_keys", **TASK_RETRY)
def purge_idempotency_keys() -> int:
    """Delete API idempotency keys older than 30 days (beat: hourly)."""
    return idempotency_keys_purge()
