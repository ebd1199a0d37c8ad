"""Payout batches without a worker: per-item validation and results, the quote, maker-checker
approval, execution in chunks (holds, transitions, outbox), a short payee inside a chunk, CSV
input, cancel and completion."""

from __future__ import annotations

import time
from typing import Any

import pytest

from core.errors import DomainError
from payouts.batches import execution as batch_execution
from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.batches.quotes import BatchQuoter, ItemRequest
from payouts.batches.services import (
    batch_approve,
    batch_cancel,
    batch_create,
    batch_create_from_csv,
    batch_execute,
    batch_refresh_status,
    batch_results,
)
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.lifecycle.services import payout_cancel, payout_quote
from payouts.outbox import services as outbox
from payouts.outbox.models import OutboxMessage
from payouts.payees.services import method_disable
from payouts.platforms.services import platform_create
from tests.support.payouts import balances, bank_method, earn, entry_kinds, fund, transitions

pytestmark = pytest.mark.django_db(transaction=True)

MAKER = "user:maker"
CHECKER = "user:checker"


@pytest.fixture
def plat(db: None):
    """USD and EUR, approval at 1,000.00 USD; fees (sandbox): standard 0.25, instant 0.50 + 1%."""
    platform = platform_create(
        name=f"Batcher {time.monotonic_ns()}",
        currencies=["USD", "EUR"],
        approval_thresholds={"USD": "1000.00"},
    )
    fund(platform, "100000.00")
    return platform


@pytest.fixture
def payee_with(plat, make_payee):
    """A payee with a USD bank method and ``available`` to pay out."""

    def make(available: str, external_id: str = ""):
        payee = make_payee(platform=plat, external_id=external_id)
        method = bank_method(plat, payee)
        if available != "0.00":
            earn(plat, payee, available)
        return payee, method

    return make


def _item(payee, method, amount: str, **extra):
    return {
        "payee": payee.id,
        "payout_method": method.id,
        "amount": amount,
        "currency": "USD",
    } | extra


def _results(batch):
    return [(r.line, r.status, r.payout_status, r.error_code) for r in batch_results(batch).items]


def _snapshot(plat, *payees):
    return (
        [balances(plat, payee) for payee in payees],
        list(PayoutBatch.objects.values_list("id", "status", "approved_by", "approved_at")),
        list(PayoutBatchItem.objects.values_list("id", "status", "payout_id")),
        Payout.objects.count(),
        PayoutTransition.objects.count(),
        OutboxMessage.objects.count(),
    )


def test_mixed_rows_each_get_a_result_and_only_good_rows_become_payouts(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    bob, bob_method = payee_with("50.00")
    cy, cy_method = payee_with("80.00")
    method_disable(platform=plat, payee_id=cy.id, method_id=cy_method.id, actor=MAKER)
    items = [
        _item(ada, ada_method, "40.00"),
        _item(ada, ada_method, "5.00") | {"payee": 10**9},
        _item(ada, ada_method, "12.345"),
        _item(ada, ada_method, "10.00", currency="EUR"),
        _item(ada, ada_method, "-5.00"),
        _item(ada, ada_method, "5.00", colour="red"),
        _item(cy, cy_method, "5.00"),
        _item(bob, bob_method, "20.00", speed="instant"),
        _item(ada, ada_method, "10.00", description="bonus"),
    ]

    batch = batch_create(platform=plat, items=items, actor=MAKER, description="week 45")

    batch.refresh_from_db()
    assert (batch.status, batch.requires_approval, batch.approved_by) == ("approved", False, "")
    assert (batch.item_count, batch.invalid_count, batch.source) == (9, 6, "json")
    # 40.00 + 20.00 + 10.00; fees 0.25 + (0.50 + 1% of 20.00) + 0.25
    assert batch.quote == {"USD": {"count": 3, "amount": "70.00", "fee": "1.20", "net": "68.80"}}
    assert _results(batch) == [
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
    items = [_item(ada, ada_method, "1000.00"), _item(ada, ada_method, "150.00")]
    batch = batch_create(platform=plat, items=items, actor=MAKER)

    assert (batch.status, batch.requires_approval, batch.approved_at) == (
        "awaiting_approval",
        True,
        None,
    )
    assert batch.quote == {
        "USD": {"count": 2, "amount": "1150.00", "fee": "0.50", "net": "1149.50"}
    }
    assert _results(batch) == [(1, "valid", None, ""), (2, "valid", None, "")]
    before = _snapshot(plat, ada, bob)
    assert before[3] == 0
    assert balances(plat, ada)["available"] == "2000.00"

    with pytest.raises(DomainError) as caught:
        batch_approve(platform=plat, batch_id=batch.id, actor=MAKER)
    assert caught.value.code == "approver_is_creator"
    assert _snapshot(plat, ada, bob) == before

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

    after = _snapshot(plat, ada, bob)
    for again in (batch_approve, batch_cancel):
        with pytest.raises(DomainError) as caught:
            again(platform=plat, batch_id=batch.id, actor="user:third")
        assert caught.value.code == "invalid_transition"
    assert _snapshot(plat, ada, bob) == after


def test_another_platforms_batch_is_not_found(plat, payee_with) -> None:
    ada, ada_method = payee_with("2000.00")
    batch = batch_create(platform=plat, items=[_item(ada, ada_method, "1500.00")], actor=MAKER)
    other = platform_create(name=f"Other {time.monotonic_ns()}", currencies=["USD"])
    before = _snapshot(plat, ada)
    for call in (batch_approve, batch_cancel):
        with pytest.raises(DomainError) as caught:
            call(platform=other, batch_id=batch.id, actor=CHECKER)
        assert caught.value.code == "batch_not_found"
    assert _snapshot(plat, ada) == before


def test_a_payee_short_of_funds_fails_alone_within_its_chunk(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    bob, bob_method = payee_with("10.00")
    cy, cy_method = payee_with("100.00")
    items = [
        _item(ada, ada_method, "30.00"),
        _item(bob, bob_method, "20.00"),  # more than bob has
        _item(cy, cy_method, "30.00"),
        _item(bob, bob_method, "5.00"),  # fits once the line above has failed
    ]

    batch = batch_create(platform=plat, items=items, actor=MAKER)

    assert batch.status == "approved"
    assert _results(batch) == [
        (1, "created", "scheduled", ""),
        (2, "failed", None, "insufficient_funds"),
        (3, "created", "scheduled", ""),
        (4, "created", "scheduled", ""),
    ]
    failed = PayoutBatchItem.objects.get(batch=batch, line=2)
    assert failed.payout_id is None
    assert failed.error_message == "the payee's available balance does not cover this payout"
    assert sorted(Payout.objects.filter(batch=batch).values_list("payee_id", "amount_minor")) == (
        sorted([(ada.id, 3000), (cy.id, 3000), (bob.id, 500)])
    )
    assert (balances(plat, ada)["available"], balances(plat, ada)["held"]) == ("70.00", "30.00")
    assert (balances(plat, bob)["available"], balances(plat, bob)["held"]) == ("5.00", "5.00")
    assert (balances(plat, cy)["available"], balances(plat, cy)["held"]) == ("70.00", "30.00")
    assert PayoutTransition.objects.filter(payout__batch=batch).count() == 6


def test_execution_runs_in_chunks_and_can_be_run_again(plat, payee_with, monkeypatch) -> None:
    monkeypatch.setattr(batch_execution, "CHUNK", 2)
    payees = [payee_with("100.00") for _ in range(3)]
    items = [_item(p, m, f"{n}.00") for n in (1, 2) for p, m in payees]
    batch = batch_create(platform=plat, items=items, actor=MAKER)

    assert [r[1] for r in _results(batch)] == ["created"] * 6
    for payee, _ in payees:
        assert (balances(plat, payee)["available"], balances(plat, payee)["held"]) == (
            "97.00",
            "3.00",
        )
    before = _snapshot(plat, *(p for p, _ in payees))
    batch_execute(batch_id=batch.id, actor=MAKER)  # nothing left to do
    assert _snapshot(plat, *(p for p, _ in payees)) == before


def test_payouts_see_changes_made_before_execution(plat, payee_with) -> None:
    ada, ada_method = payee_with("2000.00")
    bob, bob_method = payee_with("2000.00")
    batch = batch_create(
        platform=plat,
        items=[_item(ada, ada_method, "900.00"), _item(bob, bob_method, "900.00")],
        actor=MAKER,
    )
    assert batch.status == "awaiting_approval"
    method_disable(platform=plat, payee_id=bob.id, method_id=bob_method.id, actor=MAKER)

    batch_approve(platform=plat, batch_id=batch.id, actor=CHECKER)

    assert _results(batch) == [
        (1, "created", "scheduled", ""),
        (2, "failed", None, "payout_method_not_usable"),
    ]
    assert balances(plat, bob)["held"] == "0.00"


def test_cancel_a_batch_awaiting_approval(plat, payee_with) -> None:
    ada, ada_method = payee_with("2000.00")
    items = [_item(ada, ada_method, "1200.00"), _item(ada, ada_method, "1.001")]
    batch = batch_create(platform=plat, items=items, actor=MAKER)

    canceled = batch_cancel(platform=plat, batch_id=batch.id, actor=CHECKER)

    assert canceled.status == "canceled"
    assert _results(batch) == [(1, "canceled", None, ""), (2, "invalid", None, "invalid_amount")]
    assert Payout.objects.count() == 0
    assert balances(plat, ada)["available"] == "2000.00"
    before = _snapshot(plat, ada)
    for call in (batch_cancel, batch_approve):
        with pytest.raises(DomainError) as caught:
            call(platform=plat, batch_id=batch.id, actor=CHECKER)
        assert caught.value.code == "invalid_transition"
    assert _snapshot(plat, ada) == before


def test_a_batch_completes_when_every_payout_is_final(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    batch = batch_create(
        platform=plat,
        items=[_item(ada, ada_method, "10.00"), _item(ada, ada_method, "20.00"), {"x": 1}],
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
    assert _results(batch) == [
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


def test_csv_rows_by_external_id_including_malformed_ones(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00", external_id="driver-17")
    bob, bob_method = payee_with("100.00", external_id="driver-18")
    csv_text = (
        "\ufeffExternal_ID,payout_method,amount,currency,description\n"
        f"driver-17,{ada_method.id},12.50,USD,week 45\n"
        f"driver-18,{bob_method.id},7.00,USD\n"  # a field short
        "\n"
        f'driver-18,{bob_method.id},"7.00"x,USD,\n'  # broken quoting
        f"nobody,{ada_method.id},1.00,USD,\n"
        f"driver-18,{bob_method.id},8.00,USD,\n"
        f",{bob_method.id},8.00,USD,\n"
        f"driver-17,{bob_method.id},8.00,USD,\n"  # bob's method is not ada's
    )

    batch = batch_create_from_csv(platform=plat, csv_text=csv_text, actor=MAKER)

    assert (batch.source, batch.item_count, batch.invalid_count) == ("csv", 7, 5)
    assert [
        (r.line, r.status, r.error_code, r.error_message) for r in batch_results(batch).items
    ] == [
        (2, "created", "", ""),
        (3, "invalid", "invalid_input", "line 3: expected 5 fields, got 4"),
        (5, "invalid", "invalid_input", "line 5: ',' expected after '\"'"),
        (6, "invalid", "payee_not_found", "no payee has external_id 'nobody'"),
        (7, "created", "", ""),
        (8, "invalid", "invalid_input", "external_id is required"),
        (
            9,
            "invalid",
            "payout_method_not_found",
            f"payout_method: payout method {bob_method.id} does not exist",
        ),
    ]
    assert sorted(
        Payout.objects.filter(batch=batch).values_list("payee_id", "amount_minor", "description")
    ) == sorted([(ada.id, 1250, "week 45"), (bob.id, 800, "")])
    item = PayoutBatchItem.objects.get(batch=batch, line=2)
    assert item.data == {
        "external_id": "driver-17",
        "payout_method": str(ada_method.id),
        "amount": "12.50",
        "currency": "USD",
        "description": "week 45",
    }


def test_csv_rows_by_payee_id(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    csv_text = (
        "payee,payout_method,amount,currency,speed\n"
        f"{ada.id},{ada_method.id},10.00,USD,instant\n"
        f"abc,{ada_method.id},10.00,USD,\n"
    )
    batch = batch_create_from_csv(platform=plat, csv_text=csv_text, actor=MAKER)
    assert _results(batch) == [
        (2, "created", "scheduled", ""),
        (3, "invalid", None, "payee_not_found"),
    ]
    assert Payout.objects.get(batch=batch).speed == "instant"


@pytest.mark.parametrize(
    "csv_text",
    [
        "",
        "\n\n",
        "1,2,12.50,USD\n",
        "payee,payout_method,amount\n1,2,3\n",
        "payee,external_id,payout_method,amount,currency\n",
        "payee,payout_method,amount,currency,colour\n1,2,3,USD,red\n",
        "payee,payout_method,amount,currency\n",
    ],
)
def test_a_csv_without_a_usable_header_or_rows_is_refused(plat, csv_text) -> None:
    with pytest.raises(DomainError) as caught:
        batch_create_from_csv(platform=plat, csv_text=csv_text, actor=MAKER)
    assert caught.value.code == "invalid_input"
    assert PayoutBatch.objects.count() == PayoutBatchItem.objects.count() == 0


def test_compliance_review_still_applies_inside_an_approved_batch(make_payee) -> None:
    platform = platform_create(
        name=f"Reviewed {time.monotonic_ns()}",
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
        items=[_item(ada, method, "600.00"), _item(ada, method, "100.00")],
        actor=MAKER,
    )

    assert _results(batch) == [(1, "created", "in_review", ""), (2, "created", "scheduled", "")]
    reviewed, scheduled = Payout.objects.filter(batch=batch).order_by("amount_minor").reverse()
    assert transitions(reviewed) == [("", "pending"), ("pending", "in_review")]
    assert reviewed.scheduled_for is None
    assert list(OutboxMessage.objects.values_list("object_id", flat=True)) == [scheduled.id]
    assert (balances(platform, ada)["available"], balances(platform, ada)["held"]) == (
        "300.00",
        "700.00",
    )


@pytest.mark.parametrize("fee_bearer", ["payee", "platform"])
def test_bulk_quotes_match_single_quotes(make_payee, fee_bearer) -> None:
    plat = platform_create(
        name=f"Quoted {time.monotonic_ns()}", currencies=["USD"], fee_bearer=fee_bearer
    )
    ada = make_payee(platform=plat)
    ada_method = bank_method(plat, ada)
    requests = [
        ItemRequest(ada.id, ada_method.id, "40.00", "USD"),
        ItemRequest(ada.id, ada_method.id, "40.00", "USD", "instant"),
        ItemRequest(ada.id, ada_method.id, "0.25", "USD"),
        ItemRequest(ada.id, ada_method.id, "1", "GBP"),
        ItemRequest(ada.id, 10**9, "1", "USD"),
        ItemRequest(True, ada_method.id, "1", "USD"),
        ItemRequest(ada.id, ada_method.id, 1.5, "USD"),
        ItemRequest(ada.id, ada_method.id, "1", "USD", "warp"),
    ]
    quoter = BatchQuoter(platform=plat, requests=requests)
    for request in requests:
        bulk = quoter.quote(request)
        try:
            single: object = payout_quote(
                platform=plat,
                payee_id=request.payee_id,
                method_id=request.method_id,
                amount=request.amount,
                currency=request.currency,
                speed=request.speed,
            )
        except DomainError as exc:
            single = exc
        if isinstance(single, DomainError):
            assert isinstance(bulk, DomainError)
            assert (bulk.code, bulk.message) == (single.code, single.message)
        else:
            assert not isinstance(bulk, DomainError)
            fields = ("amount_minor", "fee_minor", "net_minor", "rail", "speed", "currency")
            assert [getattr(bulk, f) for f in fields] == [getattr(single, f) for f in fields]
