"""Just before a payout goes to its rail, the payee and the payout method are checked again: a
payee blocked for fraud or a bank account disabled as compromised after the payout was created
(future-dated, or approved, or simply queued) is not paid. The payout fails before submission
with a clear code, its hold is released, and a ``payout.failed`` event says why."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from payouts.execution.submission import payouts_start_due
from payouts.lifecycle.models import Payout, PayoutAttempt
from payouts.payees.services import method_disable, payee_update
from tests.support.events import events_of
from tests.support.payouts import balances, bank_method, earn, entry_kinds, fund, pay, verify_clean
from webhooks.models import Event

pytestmark = pytest.mark.django_db(transaction=True)


def _due_payout(platform, make_payee):
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    payout = pay(
        platform, payee, method, "40.00", scheduled_for=timezone.now() + dt.timedelta(days=2)
    )
    assert payout.status == "scheduled"
    Payout.objects.filter(pk=payout.pk).update(scheduled_for=timezone.now())  # now due
    return payee, method, payout


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ("block", "payee_blocked"),
        ("archive", "payee_archived"),
        ("disable", "method_disabled"),
    ],
)
def test_a_payout_that_no_longer_qualifies_fails_before_submission(
    platform, make_payee, change: str, code: str
) -> None:
    payee, method, payout = _due_payout(platform, make_payee)
    if change == "disable":
        method_disable(platform=platform, payee_id=payee.id, method_id=method.id, actor="user:ops")
    else:
        status = {"block": "blocked", "archive": "archived"}[change]
        payee_update(platform=platform, payee_id=payee.id, status=status)

    assert payouts_start_due() == []  # nothing is sent

    payout.refresh_from_db()
    assert (payout.status, payout.failure_code) == ("failed", code)
    assert not PayoutAttempt.objects.filter(payout=payout).exists()
    assert entry_kinds(payout) == ["payout.hold", "payout.release.failed"]
    assert balances(platform, payee)["available"] == "100.00"
    assert balances(platform, payee)["held"] == "0.00"
    assert [kind for kind, _ in events_of("payout", payout.id)] == [
        "payout.created",
        "payout.failed",
    ]
    failed = Event.objects.get(type="payout.failed", object_id=payout.id)
    assert failed.data["failure_code"] == code
    verify_clean(platform)


def test_the_others_in_the_same_claim_still_go_out(platform, make_payee) -> None:
    blocked_payee, _, stopped = _due_payout(platform, make_payee)
    other_payee = make_payee()
    earn(platform, other_payee, "50.00")
    other = pay(platform, other_payee, bank_method(platform, other_payee), "10.00")
    payee_update(platform=platform, payee_id=blocked_payee.id, status="blocked")

    started = payouts_start_due()

    assert [s.attempt_id for s in started] == list(
        PayoutAttempt.objects.filter(payout=other).values_list("id", flat=True)
    )
    assert Payout.objects.get(pk=stopped.pk).status == "failed"
    assert Payout.objects.get(pk=other.pk).status == "processing"
