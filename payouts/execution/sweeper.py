"""The sweeper: finds work whose message was lost or whose worker died, and sends it again."""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.conf import settings
from django.utils import timezone

from payouts.execution.models import ProviderEvent
from payouts.lifecycle.models import AttemptStatus, Payout, PayoutAttempt
from payouts.lifecycle.rules import PayoutStatus
from payouts.outbox import services as outbox

logger = logging.getLogger(__name__)


def sweep(*, limit: int = 500) -> dict[str, int]:
    """Claim due outbox rows and enqueue their handlers; also look for due payouts, unapplied
    provider events and attempts the provider has been quiet about. Returns what was sent, by
    kind."""
    sent: dict[str, int] = {}
    resolve: list[int] = []
    for row in outbox.claim(limit=limit):
        sent[row.kind] = sent.get(row.kind, 0) + 1
        if row.kind == outbox.SUBMIT and row.object_id is not None:
            resolve.append(row.object_id)
        elif row.kind == outbox.BATCH and row.object_id is not None:
            current_app.send_task("payouts.execute_batch", args=[row.object_id])
    if resolve:
        current_app.send_task("payouts.resolve_attempts", args=[resolve])
    now = timezone.now()
    if (
        sent.get(outbox.EXECUTE)
        or Payout.objects.filter(status=PayoutStatus.SCHEDULED, scheduled_for__lte=now).exists()
    ):
        current_app.send_task("payouts.execute")
    if sent.get(outbox.EVENTS) or ProviderEvent.objects.filter(processed_at__isnull=True).exists():
        current_app.send_task("payouts.apply_events")
    # Callbacks normally bring every status change; the event feed is read when some accepted
    # attempt has heard nothing for a while (a lost callback, our server down meanwhile).
    quiet_since = now - dt.timedelta(seconds=settings.PAYOUTS_POLL_AFTER_S)
    if PayoutAttempt.objects.filter(
        status=AttemptStatus.ACCEPTED, updated__lt=quiet_since
    ).exists():
        current_app.send_task("payouts.poll_provider")
    if sent:
        logger.info("sweep re-sent %s", sent)
    return sent
