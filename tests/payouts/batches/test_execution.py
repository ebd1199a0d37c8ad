"""Payout batches run in chunks without a worker: a payee short of funds fails alone within its
chunk, execution can run again, and payouts see the changes made before execution."""

from __future__ import annotations

import pytest

from payouts.batches import execution as batch_execution
from payouts.batches.models import PayoutBatchItem
from payouts.batches.services import batch_approve, batch_create, batch_execute
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.payees.services import method_disable
from tests.support.batches import CHECKER, MAKER, results, row, snapshot
from tests.support.payouts import balances

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payee_short_of_funds_fails_alone_within_its_chunk(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    bob, bob_method = payee_with("10.00")
    cy, cy_method = payee_with("100.00")
    items = [
        row(ada, ada_method, "30.00"),
        row(bob, bob_method, "20.00"),  # more than bob has
        row(cy, cy_method, "30.00"),
        row(bob, bob_method, "5.00"),  # fits once the line above has failed
    ]

    batch = batch_create(platform=plat, items=items, actor=MAKER)

    assert batch.status == "approved"
    assert results(batch) == [
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
    items = [row(p, m, f"{n}.00") for n in (1, 2) for p, m in payees]
    batch = batch_create(platform=plat, items=items, actor=MAKER)

    assert [r[1] for r in results(batch)] == ["created"] * 6
    for payee, _ in payees:
        assert (balances(plat, payee)["available"], balances(plat, payee)["held"]) == (
            "97.00",
            "3.00",
        )
    before = snapshot(plat, *(p for p, _ in payees))
    batch_execute(batch_id=batch.id, actor=MAKER)  # nothing left to do
    assert snapshot(plat, *(p for p, _ in payees)) == before


def test_payouts_see_changes_made_before_execution(plat, payee_with) -> None:
    ada, ada_method = payee_with("2000.00")
    bob, bob_method = payee_with("2000.00")
    batch = batch_create(
        platform=plat,
        items=[row(ada, ada_method, "900.00"), row(bob, bob_method, "900.00")],
        actor=MAKER,
    )
    assert batch.status == "awaiting_approval"
    method_disable(platform=plat, payee_id=bob.id, method_id=bob_method.id, actor=MAKER)

    batch_approve(platform=plat, batch_id=batch.id, actor=CHECKER)

    assert results(batch) == [
        (1, "created", "scheduled", ""),
        (2, "failed", None, "payout_method_not_usable"),
    ]
    assert balances(plat, bob)["held"] == "0.00"
