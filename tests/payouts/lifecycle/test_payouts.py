"""Creating and moving payouts without a worker: quotes, holds, typed errors that change
nothing, the transition table (in Python and in the database), and racing creations."""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from core.errors import DomainError
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.lifecycle.rules import TRANSITIONS
from payouts.lifecycle.services import payout_approve, payout_cancel, payout_create, payout_quote
from payouts.outbox.models import OutboxMessage
from tests.factories import PlatformFactory
from tests.support.payouts import ACTOR, balances, bank_method, earn, fund, pay

pytestmark = pytest.mark.django_db(transaction=True)


def _ready(platform, make_payee, available="100.00"):
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "10000.00")
    earn(platform, payee, available)
    return payee, method


def _snapshot(platform, payee):
    return (
        balances(platform, payee),
        Payout.objects.count(),
        PayoutTransition.objects.count(),
        OutboxMessage.objects.count(),
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"amount": "0.00"}, "invalid_amount"),
        ({"amount": "-5.00"}, "invalid_amount"),
        ({"amount": "12.345"}, "invalid_amount"),
        ({"amount": 12.5}, "invalid_amount"),
        ({"amount": "ten"}, "invalid_amount"),
        ({"amount": "100.01"}, "insufficient_funds"),
        ({"amount": "0.25"}, "amount_below_fee"),
        ({"currency": "EUR"}, "currency_mismatch"),
        ({"currency": "GBP"}, "unsupported_currency"),
        ({"currency": "XYZ"}, "unsupported_currency"),
        ({"payee_id": 10**12}, "payee_not_found"),
        ({"payee_id": "1"}, "payee_not_found"),
        ({"method_id": 10**12}, "payout_method_not_found"),
        ({"speed": "warp"}, "invalid_input"),
    ],
)
def test_bad_input_is_a_typed_error_that_changes_nothing(
    platform, make_payee, change, code
) -> None:
    payee, method = _ready(platform, make_payee)
    before = _snapshot(platform, payee)
    args = {"payee_id": payee.id, "method_id": method.id, "amount": "40.00", "currency": "USD"}
    args.update(change)
    with pytest.raises(DomainError) as caught:
        payout_create(platform=platform, actor=ACTOR, **args)
    assert caught.value.code == code
    assert _snapshot(platform, payee) == before


def test_another_platforms_payee_is_not_found(platform, make_payee) -> None:
    payee, method = _ready(platform, make_payee)
    other = PlatformFactory.create(currencies=["USD"])
    with pytest.raises(DomainError) as caught:
        pay(other, payee, method, "1.00")
    assert caught.value.code == "payee_not_found"


def test_quote_before_creation(platform, make_payee) -> None:
    payee, method = _ready(platform, make_payee)
    quote = payout_quote(
        platform=platform,
        payee_id=payee.id,
        method_id=method.id,
        amount="40.00",
        currency="USD",
        speed="instant",
    )
    # instant: 0.50 fixed + 1% of 40.00
    assert (quote.fee_minor, quote.net_minor, quote.rail) == (90, 3910, "sandbox")
    assert Payout.objects.count() == 0


def test_cancel_after_processing_is_refused_and_changes_nothing(platform, make_payee) -> None:
    payee, method = _ready(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    Payout.objects.filter(pk=payout.pk).update(status="processing")  # as a worker would
    before = _snapshot(platform, payee)
    with pytest.raises(DomainError) as caught:
        payout_cancel(platform=platform, payout_id=payout.id, actor=ACTOR)
    assert caught.value.code == "payout_not_cancelable"
    assert _snapshot(platform, payee) == before


def test_maker_checker_on_a_large_payout(make_payee, db) -> None:
    platform = PlatformFactory.create(currencies=["USD"], approval_thresholds={"USD": "50.00"})
    payee = make_payee(platform=platform)
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    payout = payout_create(
        platform=platform,
        payee_id=payee.id,
        method_id=method.id,
        amount="60.00",
        currency="USD",
        actor="user:maker",
    )
    assert payout.status == "awaiting_approval"
    with pytest.raises(DomainError) as caught:
        payout_approve(platform=platform, payout_id=payout.id, actor="user:maker")
    assert caught.value.code == "approver_is_creator"
    assert Payout.objects.get(pk=payout.id).status == "awaiting_approval"
    payout_approve(platform=platform, payout_id=payout.id, actor="user:checker")
    approved = Payout.objects.get(pk=payout.id)
    assert (approved.status, approved.approved_by) == ("scheduled", "user:checker")


def test_the_database_refuses_a_transition_the_table_does_not_allow(platform, make_payee) -> None:
    payee, method = _ready(platform, make_payee)
    payout = pay(platform, payee, method, "40.00")
    with pytest.raises(DatabaseError, match="cannot move from scheduled to paid"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("UPDATE payouts_payout SET status = 'paid' WHERE id = %s", [payout.id])
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM payouts_payouttransition WHERE payout_id = %s", [payout.id])
    assert Payout.objects.get(pk=payout.id).status == "scheduled"


def test_database_transition_list_matches_the_python_table() -> None:
    # The installed trigger function, whichever migration defined it last.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('payouts_payout_transition_guard'::regproc)")
        (sql,) = cursor.fetchone()
    listed = {
        tuple(pair.strip("()").replace("'", "").split(", "))
        for pair in __import__("re").findall(r"\('[a-z_]+', '[a-z_]+'\)", sql)
    }
    assert listed == {(str(f), str(t)) for f, ts in TRANSITIONS.items() for t in ts}


def test_concurrent_creations_never_overdraw(platform, make_payee) -> None:
    """50 threads each try a 10.00 payout against 255.00 available: exactly 25 succeed."""
    payee, method = _ready(platform, make_payee, available="255.00")
    barrier = threading.Barrier(50)
    results: list[str] = []
    lock = threading.Lock()

    def create() -> None:
        try:
            barrier.wait()
            pay(platform, payee, method, "10.00")
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        finally:
            connections.close_all()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=create) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(set(results)) == ["insufficient_funds", "ok"]
    assert results.count("ok") == 25
    assert results.count("insufficient_funds") == 25
    assert Payout.objects.filter(payee=payee).count() == 25
    state = balances(platform, payee)
    assert (state["available"], state["held"]) == ("5.00", "250.00")
    # The running balance never went below zero at any posting.
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT min(p.balance_after_minor) FROM ledger_posting p
                 JOIN ledger_account a ON a.id = p.account_id
                WHERE a.book_id = %s AND a.code = %s""",
            [platform.book_id, f"payee:{payee.id}:available"],
        )
        assert cursor.fetchone()[0] == 500
