"""The sweeper: finds work whose message was lost or whose worker died, and sends it again."""

from __future__ import annotations

import datetime as dt
import logging

from celery import current_app
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from payouts.exceptions.models import ExceptionKind, OperationsException
from payouts.exceptions.services import exception_open
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
    # attempt has heard nothing for a while (a lost callback, our server down meanwhile)...
    quiet_since = now - dt.timedelta(seconds=settings.PAYOUTS_POLL_AFTER_S)
    give_up_before = now - dt.timedelta(seconds=settings.PAYOUTS_GIVE_UP_AFTER_S)
    if PayoutAttempt.objects.filter(
        status=AttemptStatus.ACCEPTED, updated__lt=quiet_since, updated__gte=give_up_before
    ).exists():
        current_app.send_task("payouts.poll_provider")
    # ...and not forever: one that has heard nothing for much longer goes to a person.
    sent["gave_up"] = attempts_give_up(before=give_up_before)
    if not sent["gave_up"]:
        del sent["gave_up"]
    if sent:
        logger.info("sweep re-sent %s", sent)
    return sent


def attempts_give_up(*, before: dt.datetime, limit: int = 100) -> int:
    """Open a ``no_answer`` exception (once each) for accepted attempts with no news since
    ``before``; they are no longer polled for. Returns how many were opened now."""
    opened = 0
    quiet = (
        PayoutAttempt.objects.filter(status=AttemptStatus.ACCEPTED, updated__lt=before)
        .exclude(pk__in=_given_up())
        .order_by("id")[:limit]
    )
    for attempt in quiet:
        _, is_new = exception_open(
            kind=ExceptionKind.NO_ANSWER,
            key=f"no_answer:{attempt.id}",
            detail=(
                f"attempt {attempt.number} of payout {attempt.payout_id} was accepted by "
                f"{attempt.rail} and nothing has been heard of it since "
                f"{attempt.updated:%Y-%m-%d %H:%M} UTC; ask the provider, then resolve here"
            ),
            payout_id=attempt.payout_id,
            attempt_id=attempt.id,
            data={"provider_reference": attempt.provider_reference, "rail": attempt.rail},
        )
        opened += is_new
    return opened


def _given_up() -> QuerySet[OperationsException, int]:
    return OperationsException.objects.filter(
        kind=ExceptionKind.NO_ANSWER, attempt_id__isnull=False
    ).values_list("attempt_id", flat=True)
