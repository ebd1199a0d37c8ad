"""What the provider answers and reports, when it does not fit: the payout is still paid
exactly once, the payee is never credited twice, and whatever contradicts what we know opens an
operations exception (money that moved without a live payout goes to suspense)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from payouts.exceptions.models import OperationsException
from payouts.execution.settlement import provider_events_apply, provider_events_store
from payouts.lifecycle.models import PayoutAttempt
from rails.types import ProviderEvent, ProviderTransfer, TransferStatus
from tests.support.payouts import (
    Running,
    balance,
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
QUICK = {"PROVIDER_TIMEOUT_S": "1", "PAYOUTS_OUTBOX_LEASE_S": "2"}


def _payout(platform, make_payee, account_number: str):
    payee = make_payee()
    method = bank_method(platform, payee, account_number)
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    payout = pay(platform, payee, method, "40.00")
    assert (payout.amount_minor, payout.net_minor) == (4000, 3975)
    return payee, payout


def _exceptions_json() -> list[dict]:
    out = StringIO()
    call_command("exceptions_list", "--json", "--status", "all", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_0012_a_409_is_resolved_by_key_and_the_payout_is_paid_exactly_once(
    platform, make_payee, running: Running
) -> None:
    """0012: the provider stores and executes the first submit but answers 409
    request_in_progress. Taken for "no money moved", the payout would fail and give the hold
    back while the provider pays: the payee paid twice over."""
    payee, payout = _payout(platform, make_payee, "000123450012")

    with celery_worker(env=QUICK):
        wait_for(sweeping(lambda: status_of(payout.id) == "paid"), timeout_s=60, what="paid")

    attempt = PayoutAttempt.objects.get(payout=payout)
    assert running.sandbox.accepted_count(attempt.idempotency_key) == 1
    assert ("processing", "failed") not in transitions(payout)
    # No release and no fail entry: the payee's available balance never went back up.
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.settle"]
    assert balances(platform, payee)["available"] == "60.00"
    assert not OperationsException.objects.exists()
    verify_clean(platform)


def test_0013_paid_after_failing_opens_an_exception_and_goes_to_suspense(
    platform, make_payee, running: Running
) -> None:
    """0013: the provider reports the transfer failed, and later paid. Today the late paid is
    marked processed with "no change: payout is failed" and dropped."""
    payee, payout = _payout(platform, make_payee, "000123450013")

    with celery_worker(env=QUICK):
        wait_for(sweeping(lambda: status_of(payout.id) == "failed"), timeout_s=60, what="failed")
        wait_for(
            sweeping(lambda: OperationsException.objects.filter(payout=payout).exists()),
            timeout_s=60,
            what="an exception for the late paid",
        )

    (exception,) = OperationsException.objects.filter(payout=payout)
    attempt = PayoutAttempt.objects.get(payout=payout)
    assert (exception.kind, exception.status, exception.attempt_id) == (
        "paid_after_final",
        "open",
        attempt.id,
    )
    assert exception.provider_event.status == "paid"
    assert attempt.status == "paid"  # what the provider says happened
    assert status_of(payout.id) == "failed"  # the payout is not moved behind finance's back
    assert entry_kinds(payout) == ["payout.hold", "payout.submit", "payout.fail"]
    state = balances(platform, payee)
    # The fail gave the payee the 40.00 back once; the late paid credits nobody: the 39.75 that
    # left cash waits in suspense for a person.
    assert (state["available"], state["held"], state["in_transit"]) == ("100.00", "0.00", "0.00")
    assert state["cash"] == "960.25"
    assert balance(platform, "suspense") == "-39.75"
    verify_clean(platform)

    (listed,) = [e for e in _exceptions_json() if e["payout"] == payout.id]
    assert (listed["id"], listed["kind"], listed["status"]) == (
        exception.id,
        "paid_after_final",
        "open",
    )
    assert "39" in listed["detail"] or "3975" in listed["detail"]
    assert listed["entry"] == exception.entry_id is not None


def _event(attempt: PayoutAttempt, event_id: str, **changes) -> ProviderEvent:
    fields = {
        "provider_reference": attempt.provider_reference,
        "idempotency_key": attempt.idempotency_key,
        "status": TransferStatus.PAID,
        "amount_minor": attempt.payout.net_minor,
        "currency": attempt.payout.currency,
        **changes,
    }
    return ProviderEvent(sequence=10**9, event_id=event_id, transfer=ProviderTransfer(**fields))


def _paid(platform, make_payee, running: Running):
    payee, payout = _payout(platform, make_payee, "000123454242")
    with celery_worker(env=QUICK):
        wait_for(sweeping(lambda: status_of(payout.id) == "paid"), timeout_s=60, what="paid")
    return payee, payout, PayoutAttempt.objects.select_related("payout").get(payout=payout)


@pytest.mark.parametrize(
    ("changes", "kind"),
    [
        ({}, "second_settlement"),
        ({"amount_minor": 397_500}, "amount_mismatch"),
        ({"currency": "EUR"}, "amount_mismatch"),
        ({"status": TransferStatus.FAILED, "failure_code": "account_closed"}, "failed_after_paid"),
    ],
)
def test_an_event_that_contradicts_a_paid_payout_opens_an_exception_and_moves_nothing(
    platform, make_payee, running: Running, changes: dict, kind: str
) -> None:
    payee, payout, attempt = _paid(platform, make_payee, running)
    before = (entry_kinds(payout), balances(platform, payee), balance(platform, "suspense"))

    provider_events_store(
        rail="sandbox", events=[_event(attempt, "ev_odd", **changes)], source="poll"
    )
    provider_events_apply()

    (exception,) = OperationsException.objects.all()
    assert (exception.kind, exception.payout_id, exception.status) == (kind, payout.id, "open")
    assert exception.entry_id is None
    assert status_of(payout.id) == "paid"
    assert (entry_kinds(payout), balances(platform, payee), balance(platform, "suspense")) == before
    verify_clean(platform)

    # Told again (a poll and a callback carry the same event), it is the same exception.
    provider_events_store(
        rail="sandbox", events=[_event(attempt, "ev_odd", **changes)], source="callback"
    )
    provider_events_apply()
    assert OperationsException.objects.count() == 1


def test_an_event_for_no_attempt_of_ours_opens_an_exception(platform, running: Running) -> None:
    transfer = ProviderTransfer("tr_x", "att_never_made", TransferStatus.PAID, 500, "USD")
    provider_events_store(
        rail="sandbox", events=[ProviderEvent(7, "ev_stranger", transfer)], source="callback"
    )
    provider_events_apply()

    (exception,) = OperationsException.objects.all()
    assert (exception.kind, exception.payout_id, exception.data["idempotency_key"]) == (
        "unmatched_event",
        None,
        "att_never_made",
    )
