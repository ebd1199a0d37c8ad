"""The payouts app's Celery tasks. They take ids (or nothing), call one service, and are safe to
run twice. They run on the ``payouts`` queue (CELERY_TASK_ROUTES "payouts.*"); the webhook tasks
(``webhooks.tasks``) run on the ``webhooks`` queue, so a slow receiver never delays payouts."""

from __future__ import annotations

import datetime as dt
import logging

from celery import shared_task
from django.conf import settings

from core.tasking import TASK_RETRY
from payouts.batches.services import batch_execute, batches_refresh
from payouts.execution import resolution, settlement, sweeper
from payouts.execution import submission as execution
from payouts.outbox import services as outbox
from payouts.schedules.services import schedules_run

logger = logging.getLogger(__name__)


@shared_task(name="payouts.execute", **TASK_RETRY)
def execute() -> int:
    """Submit every due payout (claims are SKIP LOCKED, so several run side by side)."""
    return execution.execute_due()


@shared_task(name="payouts.resolve_attempts", **TASK_RETRY)
def resolve_attempts(attempt_ids: list[int]) -> None:
    resolution.attempts_resolve(attempt_ids=attempt_ids)


@shared_task(name="payouts.apply_events", **TASK_RETRY)
def apply_events() -> int:
    """Apply stored provider events until none is left."""
    total = 0
    while taken := settlement.provider_events_apply():
        total += taken
    return total


@shared_task(name="payouts.poll_provider", **TASK_RETRY)
def poll_provider(rail: str = "sandbox") -> int:
    return settlement.provider_events_poll(rail=rail)


@shared_task(name="payouts.sweep", **TASK_RETRY)
def sweep() -> dict[str, int]:
    """Re-enqueue whatever is due or stuck (beat runs this every few seconds)."""
    return sweeper.sweep()


@shared_task(name="payouts.purge_outbox", **TASK_RETRY)
def purge_outbox() -> int:
    """Delete processed outbox rows past their retention, a bounded number per round."""
    older_than = dt.timedelta(days=settings.PAYOUTS_OUTBOX_RETENTION_DAYS)
    total = 0
    while purged := outbox.purge(older_than=older_than):
        total += purged
    return total


SCHEDULES_PER_RUN = 500


@shared_task(name="payouts.run_schedules", **TASK_RETRY)
def run_schedules() -> int:
    """Run every due schedule, ``SCHEDULES_PER_RUN`` per transaction; returns how many ran."""
    total = 0
    while True:
        ran = schedules_run(limit=SCHEDULES_PER_RUN)
        total += ran
        if ran < SCHEDULES_PER_RUN:
            return total


@shared_task(name="payouts.execute_batch", **TASK_RETRY)
def execute_batch(batch_id: int) -> str:
    """Finish executing an approved batch (after a crash mid-way, say); returns its status."""
    return batch_execute(batch_id=batch_id, actor="system:batch").status


@shared_task(name="payouts.refresh_batches", **TASK_RETRY)
def refresh_batches() -> int:
    """Mark approved batches whose payouts are all paid or final as completed."""
    return batches_refresh()
