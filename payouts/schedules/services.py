"""Payout schedules (DESIGN.md section 3): per payee and currency, a daily, weekly or monthly
payout of the whole available balance once it reaches a minimum.

``schedules_run`` (beat, through ``payouts.run_schedules``) claims due schedules with
``FOR UPDATE SKIP LOCKED``, so several workers can run it side by side without paying anyone
twice.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from core.errors import DomainError, InvalidInput
from ledger import errors as ledger_errors
from ledger.money import from_minor, to_minor
from payouts.common.accounts import payee_balance_minor
from payouts.common.errors import (
    AmountBelowFee,
    CurrencyMismatch,
    MethodNotFound,
    MethodNotUsable,
    PayeeNotPayable,
)
from payouts.lifecycle.services import payout_create
from payouts.payees.models import MethodStatus, Payee, PayeeStatus, PayoutMethod, PayoutSchedule
from payouts.payees.services import payee_get
from payouts.platforms.amounts import platform_currency
from payouts.platforms.models import Platform, ScheduleFrequency

logger = logging.getLogger(__name__)

F = ScheduleFrequency
FREQUENCIES = (F.DAILY, F.WEEKLY, F.MONTHLY)
ACTOR = "system:schedule"


def schedule_next_run(frequency: str, after: dt.datetime) -> dt.datetime:
    """The first run strictly after ``after``: the next 00:00 UTC (daily), the next Monday
    00:00 UTC (weekly) or the 1st of the next month 00:00 UTC (monthly)."""
    day = after.astimezone(dt.UTC).date()
    if frequency == F.DAILY:
        day += dt.timedelta(days=1)
    elif frequency == F.WEEKLY:
        day += dt.timedelta(days=7 - day.weekday())
    elif frequency == F.MONTHLY:
        day = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    else:
        raise AssertionError(f"{frequency} is not a schedule frequency")
    return dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)


def _minimum_minor(minimum: object, currency: str) -> int:
    if isinstance(minimum, float) or not isinstance(minimum, str | int):
        raise ledger_errors.InvalidAmount("minimum is a decimal string", field="minimum")
    try:
        minor = to_minor(minimum, currency)
    except ledger_errors.InvalidAmount as exc:
        raise ledger_errors.InvalidAmount(exc.message, field="minimum") from None
    if minor < 0:
        raise ledger_errors.InvalidAmount("minimum is zero or more", field="minimum")
    return minor


def schedule_set(
    *,
    platform: Platform,
    payee_id: object,
    method_id: object,
    currency: object,
    frequency: object,
    minimum: object,
    actor: str,
) -> PayoutSchedule:
    """Create or replace the payee's schedule in ``currency`` (one per payee and currency),
    active, first due at ``schedule_next_run``. An existing schedule keeping its frequency
    keeps its next run.

    Raises ``PayeeNotFound``, ``PayeeNotPayable``, ``MethodNotFound`` (not this payee's),
    ``MethodNotUsable`` (disabled), ``UnsupportedCurrency``, ``CurrencyMismatch``,
    ``InvalidAmount`` (``minimum``), ``InvalidInput`` (``frequency``); nothing changes then."""
    payee = payee_get(platform=platform, payee_id=payee_id)
    code = platform_currency(platform, currency)
    if frequency not in FREQUENCIES:
        raise InvalidInput(f"frequency is one of {', '.join(FREQUENCIES)}", field="frequency")
    minimum_minor = _minimum_minor(minimum, code)
    if payee.status != PayeeStatus.ACTIVE:
        raise PayeeNotPayable(f"payee {payee.id} is {payee.status}", field="payee")
    method = None
    if isinstance(method_id, int) and not isinstance(method_id, bool):
        method = PayoutMethod.objects.filter(payee=payee, pk=method_id).first()
    if method is None:
        raise MethodNotFound(f"payout method {method_id} does not exist", field="payout_method")
    if method.status != MethodStatus.ACTIVE:
        raise MethodNotUsable(f"payout method {method.id} is disabled", field="payout_method")
    if method.currency != code:
        raise CurrencyMismatch(
            f"payout method {method.id} pays out in {method.currency}, not {code}",
            field="currency",
        )
    with transaction.atomic():
        # Two setters of one payee's schedule take turns here, not at the unique constraint.
        Payee.objects.select_for_update(no_key=True).filter(pk=payee.pk).first()
        schedule = (
            PayoutSchedule.objects.select_for_update().filter(payee=payee, currency=code).first()
        )
        if schedule is None:
            schedule = PayoutSchedule(payee=payee, currency=code)
        if schedule.pk is None or schedule.frequency != frequency or not schedule.is_active:
            schedule.next_run_at = schedule_next_run(str(frequency), timezone.now())
        schedule.method = method
        schedule.frequency = str(frequency)
        schedule.minimum_minor = minimum_minor
        schedule.is_active = True
        schedule.save()
    logger.info(
        "schedule %s set by %s: %s, minimum %s %s",
        schedule.id,
        actor,
        frequency,
        from_minor(minimum_minor, code),
        code,
    )
    return schedule


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
