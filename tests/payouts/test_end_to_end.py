"""Fund, earn, pay out, and follow each payout to its end through a real Celery worker, the
sandbox provider over HTTP and its signed callbacks to our live server. At each step: the exact
balances, the entries posted and the transitions recorded."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from payouts.lifecycle.models import Payout, PayoutAttempt
from payouts.lifecycle.services import payout_cancel, payout_reject
from tests.factories import PlatformFactory
from tests.support.payouts import (
    ACTOR,
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

START = {
    "available": "60.00",
    "held": "40.00",
    "in_transit": "0.00",
    "fees": "0.00",
    "cash": "1000.00",
    "funding": "900.00",
}


def _setup(platform, make_payee, account_number):
    payee = make_payee()
    method = bank_method(platform, payee, account_number)
    fund(platform, "1000.00")
    assert balances(platform, payee)["cash"] == "1000.00"
    assert balances(platform, payee)["funding"] == "1000.00"
    earn(platform, payee, "100.00")
    assert balances(platform, payee)["available"] == "100.00"
    assert balances(platform, payee)["funding"] == "900.00"
    return payee, method


def _pay(platform, payee, method, **kw):
    payout = pay(platform, payee, method, "40.00", **kw)
    assert (payout.amount_minor, payout.fee_minor, payout.net_minor) == (4000, 25, 3975)
    return payout


def test_paid(platform, make_payee, running: Running) -> None:
    payee, method = _setup(platform, make_payee, "000123456789")
    payout = _pay(platform, payee, method)
    assert status_of(payout.id) == "scheduled"
    assert balances(platform, payee) == START
    assert transitions(payout) == [("", "pending"), ("pending", "scheduled")]
    assert entry_kinds(payout) == ["payout.hold"]

    with celery_worker():
        wait_for(lambda: status_of(payout.id) == "paid", what="paid")

    assert balances(platform, payee) == {
        "available": "60.00",
        "held": "0.00",
        "in_transit": "0.00",
        "fees": "0.25",
        "cash": "960.25",
        "funding": "900.00",
    }
    assert transitions(payout) == [
        ("", "pending"),
        ("pending", "scheduled"),
        ("scheduled", "processing"),
        ("processing", "paid"),
    ]
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle"]
    attempt = PayoutAttempt.objects.get(payout=payout)
    assert attempt.status == "paid"
    assert running.sandbox.accepted_count(attempt.idempotency_key) == 1
    verify_clean(platform)


def test_failed_by_the_receiving_bank(platform, make_payee, running: Running) -> None:
    payee, method = _setup(platform, make_payee, "000123450001")
    payout = _pay(platform, payee, method)
    with celery_worker():
        wait_for(lambda: status_of(payout.id) == "failed", what="failed")
    payout.refresh_from_db()
    assert payout.failure_code == "insufficient_funds"
    # Nothing moved: the whole amount is available again and the fee is refunded.
    assert balances(platform, payee) == {
        "available": "100.00",
        "held": "0.00",
        "in_transit": "0.00",
        "fees": "0.00",
        "cash": "1000.00",
        "funding": "900.00",
    }
    assert transitions(payout)[-2:] == [("scheduled", "processing"), ("processing", "failed")]
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.fail"]
    verify_clean(platform)


def test_paid_then_returned(platform, make_payee, running: Running) -> None:
    payee, method = _setup(platform, make_payee, "000123450002")
    payout = _pay(platform, payee, method)
    with celery_worker():
        wait_for(lambda: status_of(payout.id) == "returned", what="returned")
    payout.refresh_from_db()
    assert payout.failure_code == "insufficient_funds"  # R01
    # The money came back to cash and the net amount to the payee; the fee stays earned.
    assert balances(platform, payee) == {
        "available": "99.75",
        "held": "0.00",
        "in_transit": "0.00",
        "fees": "0.25",
        "cash": "1000.00",
        "funding": "900.00",
    }
    assert transitions(payout)[-3:] == [
        ("scheduled", "processing"),
        ("processing", "paid"),
        ("paid", "returned"),
    ]
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle", "payout.return"]
    verify_clean(platform)


def test_canceled_before_submission(platform, make_payee) -> None:
    payee, method = _setup(platform, make_payee, "000123456789")
    payout = _pay(platform, payee, method, scheduled_for=timezone.now() + dt.timedelta(days=1))
    assert balances(platform, payee) == START
    payout_cancel(platform=platform, payout_id=payout.id, actor=ACTOR, reason="payee asked")
    assert status_of(payout.id) == "canceled"
    assert balances(platform, payee)["available"] == "100.00"
    assert balances(platform, payee)["held"] == "0.00"
    assert transitions(payout) == [
        ("", "pending"),
        ("pending", "scheduled"),
        ("scheduled", "canceled"),
    ]
    assert entry_kinds(payout) == ["payout.hold", "payout.release.canceled"]
    assert payout.transitions.last().reason == "payee asked"
    verify_clean(platform)


def test_rejected_in_review(make_payee, db) -> None:
    platform = PlatformFactory.create(currencies=["USD"], review_thresholds={"USD": "30.00"})
    payee = make_payee(platform=platform)
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    payout = _pay(platform, payee, method)
    assert status_of(payout.id) == "in_review"
    assert balances(platform, payee)["held"] == "40.00"
    payout_reject(payout_id=payout.id, actor="user:analyst", reason="documents do not match")
    assert status_of(payout.id) == "rejected"
    assert balances(platform, payee)["available"] == "100.00"
    assert balances(platform, payee)["held"] == "0.00"
    assert transitions(payout) == [
        ("", "pending"),
        ("pending", "in_review"),
        ("in_review", "rejected"),
    ]
    last = payout.transitions.last()
    assert (last.actor, last.reason) == ("user:analyst", "documents do not match")
    assert Payout.objects.get(pk=payout.id).is_final
    verify_clean(platform)


@pytest.mark.parametrize(("account", "submits"), [("000123450003", 1), ("000123450006", 2)])
def test_unknown_outcomes_resolve_with_the_same_key(
    platform, make_payee, running, account, submits
) -> None:
    """0003: the first submit is stored but its answer never arrives in time; the worker learns
    the outcome (from the provider's event, or by looking the key up) and submits no more. 0006:
    the first submit answers 500 and stores nothing; the worker finds no transfer for the key
    and submits once more with the same key. Either way the provider pays once."""
    payee, method = _setup(platform, make_payee, account)
    payout = _pay(platform, payee, method)

    with celery_worker(env={"PROVIDER_TIMEOUT_S": "1", "PAYOUTS_OUTBOX_LEASE_S": "2"}):
        wait_for(sweeping(lambda: status_of(payout.id) == "paid"), timeout_s=60, what="paid")
    attempt = PayoutAttempt.objects.get(payout=payout)
    assert running.sandbox.accepted_count(attempt.idempotency_key) == 1
    assert running.sandbox.submit_count(attempt.idempotency_key) == submits
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle"]
    assert balances(platform, payee)["cash"] == "960.25"
    verify_clean(platform)


def test_refused_at_submission(platform, make_payee, running) -> None:
    """0005: the provider refuses the transfer outright; the payout fails, nothing moved."""
    payee, method = _setup(platform, make_payee, "000123450005")
    payout = _pay(platform, payee, method)
    with celery_worker():
        wait_for(lambda: status_of(payout.id) == "failed", what="failed")
    payout.refresh_from_db()
    assert payout.failure_code == "invalid_destination"
    attempt = PayoutAttempt.objects.get(payout=payout)
    assert (attempt.status, attempt.submit_calls) == ("rejected", 1)
    assert running.sandbox.accepted_count(attempt.idempotency_key) == 0
    assert balances(platform, payee) == {
        "available": "100.00",
        "held": "0.00",
        "in_transit": "0.00",
        "fees": "0.00",
        "cash": "1000.00",
        "funding": "900.00",
    }
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.fail"]
    verify_clean(platform)
