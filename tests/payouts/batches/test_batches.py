"""Payout batches without a worker: per-item validation and results, the quote, the holds,
transitions and outbox of the payouts created, maker-checker approval, cancel, completion and
compliance review. (Execution in chunks: test_execution.py; CSV input: test_csv.py; quotes:
test_quotes.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import DomainError
from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.batches.services import (
    batch_approve,
    batch_cancel,
    batch_create,
    batch_refresh_status,
    batch_results,
)
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.lifecycle.services import payout_cancel
from payouts.outbox import services as outbox
from payouts.outbox.models import OutboxMessage
from payouts.payees.services import method_disable
from tests.factories import PlatformFactory
from tests.support.batches import CHECKER, MAKER, results, row, snapshot
from tests.support.payouts import balances, bank_method, earn, entry_kinds, fund, transitions

pytestmark = pytest.mark.django_db(transaction=True)


def test_mixed_rows_each_get_a_result_and_only_good_rows_become_payouts(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    bob, bob_method = payee_with("50.00")
    cy, cy_method = payee_with("80.00")
    method_disable(platform=plat, payee_id=cy.id, method_id=cy_method.id, actor=MAKER)
    items = [
        row(ada, ada_method, "40.00"),
        row(ada, ada_method, "5.00") | {"payee": 10**9},
        row(ada, ada_method, "12.345"),
        row(ada, ada_method, "10.00", currency="EUR"),
        row(ada, ada_method, "-5.00"),
        row(ada, ada_method, "5.00", colour="red"),
        row(cy, cy_method, "5.00"),
        row(bob, bob_method, "20.00", speed="instant"),
        row(ada, ada_method, "10.00", description="bonus"),
    ]

    batch = batch_create(platform=plat, items=items, actor=MAKER, description="week 45")

    batch.refresh_from_db()
    assert (batch.status, batch.requires_approval, batch.approved_by) == ("approved", False, "")
    assert (batch.item_count, batch.invalid_count, batch.source) == (9, 6, "json")
    # 40.00 + 20.00 + 10.00; fees 0.25 + (0.50 + 1% of 20.00) + 0.25
    assert batch.quote == {"USD": {"count": 3, "amount": "70.00", "fee": "1.20", "net": "68.80"}}
    assert results(batch) == [
        (1, "created", "scheduled", ""),
        (2, "invalid", None, "payee_not_found"),
        (3, "invalid", None, "invalid_amount"),
        (4, "invalid", None, "currency_mismatch"),
        (5, "invalid", None, "invalid_amount"),
        (6, "invalid", None, "invalid_input"),
        (7, "invalid", None, "payout_method_not_usable"),
        (8, "created", "scheduled", ""),
        (9, "created", "scheduled", ""),
    ]
    messages = {r.line: r.error_message for r in batch_results(batch).items}
    assert messages[2] == "payee 1000000000 does not exist"
    assert messages[3] == "amount: 12.345 has more decimals than USD allows (2)"
    assert messages[6] == "unknown fields: colour"
    assert batch_results(batch).counts == {
        "valid": 0,
        "invalid": 6,
        "created": 3,
        "failed": 0,
        "canceled": 0,
    }

    payouts = list(Payout.objects.filter(batch=batch).order_by("id"))
    assert [
        (p.payee_id, p.amount_minor, p.fee_minor, p.net_minor, p.speed, p.status, p.description)
        for p in payouts
    ] == [
        (ada.id, 4000, 25, 3975, "standard", "scheduled", ""),
        (ada.id, 1000, 25, 975, "standard", "scheduled", "bonus"),
        (bob.id, 2000, 70, 1930, "instant", "scheduled", ""),
    ]
    for payout in payouts:
        assert (payout.rail, payout.created_by, payout.currency) == ("sandbox", MAKER, "USD")
        assert payout.scheduled_for is not None
        assert payout.estimated_arrival is not None
        assert transitions(payout) == [("", "pending"), ("pending", "scheduled")]
        assert entry_kinds(payout) == ["payout.hold"]
    assert {i.line: i.payout_id for i in PayoutBatchItem.objects.filter(status="created")} == {
        1: payouts[0].id,
        9: payouts[1].id,
        8: payouts[2].id,
    }
    assert balances(plat, ada)["available"] == "50.00"
    assert balances(plat, ada)["held"] == "50.00"
    assert balances(plat, bob)["available"] == "30.00"
    assert balances(plat, bob)["held"] == "20.00"
    assert balances(plat, cy)["available"] == "80.00"
    assert balances(plat, cy)["held"] == "0.00"
    assert list(
        OutboxMessage.objects.filter(kind=outbox.EXECUTE)
        .order_by("object_id")
        .values_list("object_id", flat=True)
    ) == [p.id for p in payouts]


def test_a_batch_at_the_threshold_waits_for_a_second_person(plat, payee_with) -> None:
    ada, ada_method = payee_with("2000.00")
    bob, _ = payee_with("10.00")
    # 1,000.00 alone is at the per-payout threshold too: the batch's approval covers it.
    items = [row(ada, ada_method, "1000.00"), row(ada, ada_method, "150.00")]
    batch = batch_create(platform=plat, items=items, actor=MAKER)

    assert (batch.status, batch.requires_approval, batch.approved_at) == (
        "awaiting_approval",
        True,
        None,
    )
    assert batch.quote == {
        "USD": {"count": 2, "amount": "1150.00", "fee": "0.50", "net": "1149.50"}
    }
    assert results(batch) == [(1, "valid", None, ""), (2, "valid", None, "")]
    before = snapshot(plat, ada, bob)
    assert before[3] == 0
    assert balances(plat, ada)["available"] == "2000.00"

    with pytest.raises(DomainError) as caught:
        batch_approve(platform=plat, batch_id=batch.id, actor=MAKER)
    assert caught.value.code == "approver_is_creator"
    assert snapshot(plat, ada, bob) == before

    approved = batch_approve(platform=plat, batch_id=batch.id, actor=CHECKER)

    assert (approved.status, approved.approved_by) == ("approved", CHECKER)
    assert approved.approved_at is not None
    payouts = list(Payout.objects.filter(batch=batch).order_by("id"))
    assert [(p.amount_minor, p.status, p.created_by, p.approved_by) for p in payouts] == [
        (100000, "scheduled", MAKER, CHECKER),
        (15000, "scheduled", MAKER, CHECKER),
    ]
    moves = PayoutTransition.objects.filter(payout__batch=batch, from_status="pending")
    assert set(moves.values_list("to_status", "actor", "reason")) == {
        ("scheduled", CHECKER, f"batch {batch.id} approved")
    }
    assert balances(plat, ada)["available"] == "850.00"
    assert balances(plat, ada)["held"] == "1150.00"

    after = snapshot(plat, ada, bob)
    for again in (batch_approve, batch_cancel):
        with pytest.raises(DomainError) as caught:
            again(platform=plat, batch_id=batch.id, actor="user:third")
        assert caught.value.code == "invalid_transition"
    assert snapshot(plat, ada, bob) == after


def test_another_platforms_batch_is_not_found(plat, payee_with) -> None:
    ada, ada_method = payee_with("2000.00")
    batch = batch_create(platform=plat, items=[row(ada, ada_method, "1500.00")], actor=MAKER)
    other = PlatformFactory.create(currencies=["USD"])
    before = snapshot(plat, ada)
    for call in (batch_approve, batch_cancel):
        with pytest.raises(DomainError) as caught:
            call(platform=other, batch_id=batch.id, actor=CHECKER)
        assert caught.value.code == "batch_not_found"
    assert snapshot(plat, ada) == before


def test_cancel_a_batch_awaiting_approval(plat, payee_with) -> None:
    ada, ada_method = payee_with("2000.00")
    items = [row(ada, ada_method, "1200.00"), row(ada, ada_method, "1.001")]
    batch = batch_create(platform=plat, items=items, actor=MAKER)

    canceled = batch_cancel(platform=plat, batch_id=batch.id, actor=CHECKER)

    assert canceled.status == "canceled"
    assert results(batch) == [(1, "canceled", None, ""), (2, "invalid", None, "invalid_amount")]
    assert Payout.objects.count() == 0
    assert balances(plat, ada)["available"] == "2000.00"
    before = snapshot(plat, ada)
    for call in (batch_cancel, batch_approve):
        with pytest.raises(DomainError) as caught:
            call(platform=plat, batch_id=batch.id, actor=CHECKER)
        assert caught.value.code == "invalid_transition"
    assert snapshot(plat, ada) == before


def test_a_batch_completes_when_every_payout_is_final(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    batch = batch_create(
        platform=plat,
        items=[row(ada, ada_method, "10.00"), row(ada, ada_method, "20.00"), {"x": 1}],
        actor=MAKER,
    )
    payout_ids = list(Payout.objects.filter(batch=batch).values_list("id", flat=True))
    payout_cancel(platform=plat, payout_id=payout_ids[0], actor=MAKER)
    assert batch_refresh_status(batch_id=batch.id).status == "approved"

    payout_cancel(platform=plat, payout_id=payout_ids[1], actor=MAKER)
    done = batch_refresh_status(batch_id=batch.id)

    assert done.status == "completed"
    assert done.completed_at is not None
    assert balances(plat, ada)["available"] == "100.00"


def test_a_batch_with_nothing_to_pay_completes_at_once(plat) -> None:
    items: list[Any] = [{"payee": 1}, "not an object"]
    batch = batch_create(platform=plat, items=items, actor=MAKER, source="json")
    assert batch.status == "completed"
    assert batch.quote == {}
    assert results(batch) == [
        (1, "invalid", None, "invalid_input"),
        (2, "invalid", None, "invalid_input"),
    ]
    assert [r.error_message for r in batch_results(batch).items] == [
        "payout_method is required",
        "an item is an object",
    ]


@pytest.mark.parametrize("items", [[], None, "items", [{}] * 100_001])
def test_an_empty_or_oversized_batch_is_refused(plat, items) -> None:
    with pytest.raises(DomainError) as caught:
        batch_create(platform=plat, items=items, actor=MAKER)
    assert (caught.value.code, caught.value.details) == ("invalid_input", {"field": "items"})
    assert PayoutBatch.objects.count() == PayoutBatchItem.objects.count() == 0


def test_compliance_review_still_applies_inside_an_approved_batch(make_payee) -> None:
    platform = PlatformFactory.create(
        currencies=["USD"],
        approval_thresholds={"USD": "10000.00"},
        review_thresholds={"USD": "500.00"},
    )
    fund(platform, "10000.00")
    ada = make_payee(platform=platform)
    method = bank_method(platform, ada)
    earn(platform, ada, "1000.00")

    batch = batch_create(
        platform=platform,
        items=[row(ada, method, "600.00"), row(ada, method, "100.00")],
        actor=MAKER,
    )

    assert results(batch) == [(1, "created", "in_review", ""), (2, "created", "scheduled", "")]
    reviewed, scheduled = Payout.objects.filter(batch=batch).order_by("amount_minor").reverse()
    assert transitions(reviewed) == [("", "pending"), ("pending", "in_review")]
    assert reviewed.scheduled_for is None
    assert list(OutboxMessage.objects.values_list("object_id", flat=True)) == [scheduled.id]
    assert (balances(platform, ada)["available"], balances(platform, ada)["held"]) == (
        "300.00",
        "700.00",
    )
