"""Kill the worker (SIGKILL, no cleanup) at each dangerous point, start a new one, and check
that every payout ends paid exactly once at the provider with the ledger consistent."""

from __future__ import annotations

import signal
import subprocess

import pytest
from django.db import transaction

from payouts.execution import crashpoints
from payouts.lifecycle.models import Payout, PayoutAttempt
from tests.support.payouts import (
    Running,
    balances,
    bank_method,
    earn,
    entry_kinds,
    fund,
    pay,
    status_of,
    sweeping,
    transitions,
    verify_clean,
    wait_for,
)
from tests.workers import celery_worker

pytestmark = pytest.mark.django_db(transaction=True)
PAYOUTS = 3
# A short lease, so the new worker may take over the dead one's work within the test.
LEASE = {"PAYOUTS_OUTBOX_LEASE_S": "2"}


def _payouts(platform, make_payee) -> list[Payout]:
    """Payouts committed together, so the worker claims them in one go."""
    fund(platform, "1000.00")
    created = []
    with transaction.atomic():
        for n in range(PAYOUTS):
            created.append(_payout(platform, make_payee, n))
    return created


def _payout(platform, make_payee, n: int) -> Payout:
    payee = make_payee()
    method = bank_method(platform, payee, f"0001234{n}6789")
    earn(platform, payee, "50.00")
    return pay(platform, payee, method, "20.00")


def _died(worker: subprocess.Popen[bytes]) -> None:
    assert worker.wait(timeout=60) == -signal.SIGKILL, "the worker should have killed itself"


def _all_paid_exactly_once(platform, payouts, running: Running) -> None:
    with celery_worker(env=LEASE):
        wait_for(
            sweeping(lambda: all(status_of(p.id) == "paid" for p in payouts)),
            timeout_s=90,
            what="every payout paid",
        )
    for payout in payouts:
        attempts = list(PayoutAttempt.objects.filter(payout=payout))
        assert len(attempts) == 1
        assert running.sandbox.accepted_count(attempts[0].idempotency_key) == 1
        assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle"]
        assert transitions(payout)[-2:] == [("scheduled", "processing"), ("processing", "paid")]
        state = balances(platform, payout.payee)
        assert (state["available"], state["held"]) == ("30.00", "0.00")
    state = balances(platform, payouts[0].payee)
    assert state["in_transit"] == "0.00"
    assert state["fees"] == f"{0.25 * PAYOUTS:.2f}"
    assert state["cash"] == f"{1000 - 19.75 * PAYOUTS:.2f}"
    assert running.sandbox.stats(by_key=False)["accepted_total"] == PAYOUTS
    verify_clean(platform)


def test_killed_after_the_attempt_commits(platform, make_payee, running: Running) -> None:
    with celery_worker(
        env={**LEASE, "PAYOUTS_CRASH_AT": crashpoints.AFTER_ATTEMPT_COMMIT}
    ) as worker:
        payouts = _payouts(platform, make_payee)
        _died(worker)
    # Committed: processing, submit entry posted, and nothing sent to the provider.
    assert {status_of(p.id) for p in payouts} == {"processing"}
    assert running.sandbox.stats(by_key=False)["submits_total"] == 0
    _all_paid_exactly_once(platform, payouts, running)


def test_killed_after_the_provider_accepted(platform, make_payee, running: Running) -> None:
    with celery_worker(
        env={**LEASE, "PAYOUTS_CRASH_AT": crashpoints.AFTER_PROVIDER_ACCEPT}
    ) as worker:
        payouts = _payouts(platform, make_payee)
        _died(worker)
    # The provider holds them; we never recorded it.
    assert running.sandbox.stats(by_key=False)["accepted_total"] == PAYOUTS
    assert set(PayoutAttempt.objects.values_list("status", flat=True)) == {"submitting"}
    _all_paid_exactly_once(platform, payouts, running)


def test_killed_in_the_middle_of_settlement(platform, make_payee, running: Running) -> None:
    with celery_worker(env={**LEASE, "PAYOUTS_CRASH_AT": crashpoints.MID_SETTLEMENT}) as worker:
        payouts = _payouts(platform, make_payee)
        _died(worker)
    # The settlement transaction rolled back with the process: nothing is paid yet.
    assert {status_of(p.id) for p in payouts} == {"processing"}
    _all_paid_exactly_once(platform, payouts, running)
