"""Leases and time limits: a claim outlives the work it covers, every task stops before the
broker would hand it to a second worker, resolving has a time budget, an attempt that never
hears back goes to a person instead of being polled forever, the execute row follows the payout,
and processed outbox rows do not pile up."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app as celery_app
from payouts.exceptions.models import OperationsException
from payouts.execution.resolution import RESOLVE_BUDGET_S, attempts_resolve
from payouts.execution.submission import payouts_start_due
from payouts.execution.sweeper import sweep
from payouts.lifecycle.models import PayoutAttempt
from payouts.lifecycle.services import payout_cancel
from payouts.outbox import services as outbox
from payouts.outbox.models import OutboxMessage
from payouts.tasks import purge_outbox
from tests.support.payouts import ACTOR, bank_method, earn, fund, pay

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[3]


def _payout(platform, make_payee, **kw):
    payee = make_payee()
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    return pay(platform, payee, bank_method(platform, payee), "40.00", **kw)


def test_a_lease_is_longer_than_the_work_it_covers(settings) -> None:
    """With the old fixed 60 s lease, a chunk of 250 submissions whose calls each take the whole
    provider timeout (10 s: 16 rounds over 16 threads) outlived its claim and was handed to a
    second worker while the first was still sending it."""
    settings.PAYOUTS_OUTBOX_LEASE_S = 60
    settings.PROVIDER_TIMEOUT_S = 10
    assert outbox.lease(calls=250).total_seconds() > 16 * 3 * 10
    assert outbox.lease(calls=3).total_seconds() > 3 * 10
    # A resolver hands back what it has not reached, and finishes the attempt it is in the
    # middle of (a read and a resubmission), before its rows' lease lapses.
    assert outbox.lease().total_seconds() > RESOLVE_BUDGET_S + 2 * 3 * 10
    assert outbox.longest_work_s() >= 16 * 3 * 10


def test_every_task_stops_before_the_broker_could_hand_it_to_another_worker() -> None:
    soft, hard = celery_app.conf.task_soft_time_limit, celery_app.conf.task_time_limit
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert 0 < soft < hard < visibility
    assert hard > outbox.longest_work_s() + 20  # a round of execute_due and its budget


def test_time_limits_that_could_overlap_are_refused_at_start_up() -> None:
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CELERY_TASK_TIME_LIMIT": "7200",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "CELERY_VISIBILITY_TIMEOUT_S" in result.stderr


def test_resolving_hands_back_what_it_had_no_time_for(platform, make_payee) -> None:
    _payout(platform, make_payee)
    (started,) = payouts_start_due()
    leased = OutboxMessage.objects.get(kind="attempt.submit", object_id=started.attempt_id)
    assert leased.locked_until is not None

    attempts_resolve(attempt_ids=[started.attempt_id], budget_s=-1)

    row = OutboxMessage.objects.get(kind="attempt.submit", object_id=started.attempt_id)
    assert (row.locked_until, row.attempts, row.processed_at) == (None, 0, None)
    assert row.available_at <= timezone.now()
    assert PayoutAttempt.objects.get(pk=started.attempt_id).status == "submitting"


def test_an_attempt_that_never_hears_back_goes_to_a_person_once(platform, make_payee) -> None:
    payout = _payout(platform, make_payee)
    (started,) = payouts_start_due()
    long_ago = timezone.now() - dt.timedelta(seconds=settings.PAYOUTS_GIVE_UP_AFTER_S + 60)
    PayoutAttempt.objects.filter(pk=started.attempt_id).update(
        status="accepted", provider_reference="tr_quiet", updated=long_ago
    )

    assert sweep().get("gave_up") == 1
    assert "gave_up" not in sweep()  # once

    (exception,) = OperationsException.objects.all()
    assert (exception.kind, exception.payout_id, exception.attempt_id) == (
        "no_answer",
        payout.id,
        started.attempt_id,
    )


def test_the_execute_row_waits_for_its_time_and_closes_when_the_payout_leaves(
    platform, make_payee
) -> None:
    when = timezone.now() + dt.timedelta(days=3)
    payout = _payout(platform, make_payee, scheduled_for=when)
    row = OutboxMessage.objects.get(kind="payout.execute", object_id=payout.id)
    assert row.available_at == when
    assert outbox.claim() == []  # not due: not taken early

    payout_cancel(platform=platform, payout_id=payout.id, actor=ACTOR)

    row.refresh_from_db()
    assert row.processed_at is not None


def test_processed_outbox_rows_are_purged_after_their_retention(platform, make_payee) -> None:
    _payout(platform, make_payee)
    payouts_start_due()
    old = timezone.now() - dt.timedelta(days=settings.PAYOUTS_OUTBOX_RETENTION_DAYS + 1)
    kept_dead = OutboxMessage.objects.create(
        kind="attempt.submit", object_id=999, available_at=old, processed_at=old, dead_at=old
    )
    OutboxMessage.objects.filter(kind="payout.execute").update(processed_at=old)
    pending = OutboxMessage.objects.filter(processed_at__isnull=True).count()

    assert purge_outbox() == 1

    assert not OutboxMessage.objects.filter(kind="payout.execute").exists()
    assert OutboxMessage.objects.filter(pk=kept_dead.pk).exists()
    assert OutboxMessage.objects.filter(processed_at__isnull=True).count() == pending
