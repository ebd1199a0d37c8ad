"""Setting a payee's payout schedule (docs/architecture.md): per payee and currency, a daily,
weekly or monthly payout of the whole available balance once it reaches a minimum. Running
the due schedules is ``payouts.schedules``."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from core.errors import InvalidInput
from ledger import errors as ledger_errors
from ledger.money import from_minor, to_minor
from payouts.common.errors import PayeeNotPayable
from payouts.payees.models import Payee, PayeeStatus, PayoutSchedule
from payouts.payees.payability import method_usable_check
from payouts.payees.selectors import payee_get, payee_method_get
from payouts.platforms.amounts import platform_currency
from payouts.platforms.models import Platform, ScheduleFrequency

logger = logging.getLogger(__name__)

F = ScheduleFrequency
FREQUENCIES = (F.DAILY, F.WEEKLY, F.MONTHLY)


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
    method = payee_method_get(payee=payee, method_id=method_id)
    method_usable_check(method, code)
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
