"""The webhooks app's Celery tasks, on the ``webhooks`` queue (CELERY_TASK_ROUTES "webhooks.*"),
so a slow receiver never delays payouts. They take ids (or nothing) and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from core.tasking import TASK_RETRY
from webhooks import delivery, fanout


@shared_task(name="webhooks.fan_out", **TASK_RETRY)
def webhooks_fan_out(event_ids: list[int]) -> int:
    """Create the deliveries of these events (enqueued after the commit that wrote them) and
    send them. Events fanned out already are skipped."""
    return fanout.events_fan_out(event_ids=[int(i) for i in event_ids])


@shared_task(name="webhooks.deliver", **TASK_RETRY)
def webhooks_deliver(delivery_ids: list[int]) -> dict[str, int]:
    """POST these deliveries (enqueued after the commit that wrote them). Deliveries already
    succeeded, given up, not yet due or leased by another worker are skipped."""
    return delivery.deliveries_send(delivery_ids=[int(i) for i in delivery_ids])


@shared_task(name="webhooks.sweep", **TASK_RETRY)
def webhooks_sweep() -> dict[str, int]:
    """Fan out any event whose message was lost, then POST every due delivery: retries, and
    any whose message was lost (beat: every 5 s)."""
    return delivery.deliveries_sweep()
