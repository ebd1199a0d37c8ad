"""The payouts app's Celery tasks. They take ids (or nothing), call one service, and are safe to
run twice. They run on the ``payouts`` queue (CELERY_TASK_ROUTES "payouts.*"), and the webhook
tasks on the ``webhooks`` queue ("webhooks.*"), so a slow receiver never delays payouts."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from payouts.services import execution, settlement, sweeper
from payouts.services.batches import batch_execute, batches_refresh
from payouts.services.idempotency import idempotency_keys_purge
from payouts.services.schedules import schedules_run
from webhooks import delivery as webhook_delivery

logger = logging.getLogger(__name__)

_RETRY: dict[str, Any] = {
    "acks_late": True,
    "autoretry_for": (OperationalError, InterfaceError),
    "max_retries": 5,
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
}


@shared_task(name="payouts.execute", **_RETRY)
def execute() -> int:
    """Submit every due payout (claims are SKIP LOCKED, so several run side by side)."""
    return execution.execute_due()


@shared_task(name="payouts.resolve_attempts", **_RETRY)
def resolve_attempts(attempt_ids: list[int]) -> None:
    execution.attempts_resolve(attempt_ids=attempt_ids)


@shared_task(name="payouts.apply_events", **_RETRY)
def apply_events() -> int:
    """Apply stored provider events until none is left."""
    total = 0
    while taken := settlement.provider_events_apply():
        total += taken
    return total


@shared_task(name="payouts.poll_provider", **_RETRY)
def poll_provider(rail: str = "sandbox") -> int:
    return settlement.provider_events_poll(rail=rail)


@shared_task(name="payouts.sweep", **_RETRY)
def sweep() -> dict[str, int]:
    """Re-enqueue whatever is due or stuck (beat runs this every few seconds)."""
    return sweeper.sweep()


SCHEDULES_PER_RUN = 500


@shared_task(name="payouts.run_schedules", **_RETRY)
def run_schedules() -> int:
    """Run every due schedule, ``SCHEDULES_PER_RUN`` per transaction; returns how many ran."""
    total = 0
    while True:
        ran = schedules_run(limit=SCHEDULES_PER_RUN)
        total += ran
        if ran < SCHEDULES_PER_RUN:
            return total


@shared_task(name="payouts.execute_batch", **_RETRY)
def execute_batch(batch_id: int) -> str:
    """Finish executing an approved batch (after a crash mid-way, say); returns its status."""
    return batch_execute(batch_id=batch_id, actor="system:batch").status


@shared_task(name="payouts.refresh_batches", **_RETRY)
def refresh_batches() -> int:
    """Mark approved batches whose payouts are all paid or final as completed."""
    return batches_refresh()


@shared_task(name="webhooks.deliver", **_RETRY)
def webhooks_deliver(delivery_ids: list[int]) -> dict[str, int]:
    """POST these deliveries (enqueued after the commit that wrote them). Deliveries already
    succeeded, given up, not yet due or leased by another worker are skipped."""
    return webhook_delivery.deliveries_send(delivery_ids=[int(i) for i in delivery_ids])


@shared_task(name="webhooks.sweep", **_RETRY)
def webhooks_sweep() -> dict[str, int]:
    """POST every due delivery: retries, and any whose message was lost (beat: every 5 s)."""
    return webhook_delivery.deliveries_sweep()


@shared_task(name="payouts.purge_idempotency_keys", **_RETRY)
def purge_idempotency_keys() -> int:
    """Delete API idempotency keys older than 30 days (beat: hourly)."""
    return idempotency_keys_purge()
