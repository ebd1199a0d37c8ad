"""Running payout schedules (docs/architecture.md): paying out each due schedule. Setting a
schedule is ``payouts.payees.schedules``.

``schedules_run`` (beat, through ``payouts.run_schedules``) claims due schedules with
``FOR UPDATE SKIP LOCKED``, so several workers can run it side by side without paying anyone
twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError
from ledger.money import from_minor
from payouts.common.accounts import payee_balance_minor
from payouts.common.errors import (
    AmountBelowFee,
)
from payouts.lifecycle.services import payout_create
from payouts.payees.models import PayoutSchedule
from payouts.payees.schedules import schedule_next_run

logger = logging.getLogger(__name__)

ACTOR = "system:schedule"


def schedules_run(*, now: dt.datetime | None = None, limit: int = 500) -> int:
    """Run up to ``limit`` active schedules due at ``now``: each pays out the payee's whole
    available balance (``payout_create`` as ``system:schedule``) when it is above zero and at
    least the minimum, then moves on to its next run. A schedule that cannot pay (the amount
    does not cover the fee, a disabled method, a blocked payee, ...) is logged and skipped; each
    runs in its own savepoint, so one never stops the others. Returns how many schedules ran."""
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            PayoutSchedule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("payee__platform")
            .filter(is_active=True, next_run_at__lte=now)
            .order_by("next_run_at", "id")[:limit]
        )
        for schedule in due:
            try:
                with transaction.atomic():
                    _run(schedule)
            except AmountBelowFee:
                logger.info("schedule %s: the balance does not cover the fee", schedule.id)
            except DomainError as exc:
                logger.warning("schedule %s could not pay out: %s", schedule.id, exc)
            schedule.last_run_at = now
            schedule.next_run_at = schedule_next_run(schedule.frequency, now)
        PayoutSchedule.objects.bulk_update(due, ["last_run_at", "next_run_at"])
    return len(due)


def _run(schedule: PayoutSchedule) -> None:
    platform = schedule.payee.platform
    available, _ = payee_balance_minor(
        book_id=platform.book_id, payee_id=schedule.payee_id, currency=schedule.currency
    )
    if available <= 0 or available < schedule.minimum_minor:
        return
    payout_create(
        platform=platform,
        payee_id=schedule.payee_id,
        method_id=schedule.method_id,
        amount=str(from_minor(available, schedule.currency)),
        currency=schedule.currency,
        actor=ACTOR,
        description=f"{schedule.frequency} payout (schedule {schedule.id})",
    )
