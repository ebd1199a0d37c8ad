"""How an accepted batch gets executed: maker-checker approval between two API keys, cancel, the
``batch.execute`` outbox row written with the batch, and a real Celery worker that creates the
payouts after the request, whether the message sent after commit arrives or only the sweeper's.

The API request never creates a payout: it answers with the items ``valid``, and a worker runs
``batch_execute`` for the outbox row. The fast tests call it as the worker does; those marked
``transaction=True`` commit for real and go through a worker process, the sandbox provider and
its callbacks."""

# The fixtures imported from batch_fixtures (and tests.payouts.conftest) are the tests' parameters.
# ruff: noqa: F811

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from celery import current_app
from django.utils import timezone

from config.celery import app as celery_app
from payouts.execution.sweeper import sweep
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.outbox import services as outbox
from payouts.outbox.models import OutboxMessage
from payouts.platforms.models import Platform
from tests.api.batch_fixtures import (  # noqa: F401 - fixtures used here
    PATH,
    PayeeMaker,
    _item,
    _results,
    checker,
    execute,
    execution_rows,
    held,
    maker,
    payee_with,
    plat,
    state,
)
from tests.api.conftest import Api, assert_problem
from tests.payouts.conftest import running  # noqa: F401 - the fixture
from tests.support.payouts import (
    Running,
    balances,
    status_of,
    transitions,
    verify_clean,
    wait_for,
)
from tests.workers import celery_worker

pytestmark = pytest.mark.django_db

SYSTEM = "system:batch"


@pytest.fixture(autouse=True)
def _empty_broker() -> Iterator[None]:
    """No message left over from another test (ids of rows that are gone) reaches our worker,
    and none of ours outlives the test."""
    celery_app.control.purge()
    yield
    celery_app.control.purge()


def items_of(api: Api, batch_id: int) -> list[dict[str, Any]]:
    response = api.get(f"{PATH}/{batch_id}/items")
    assert response.status_code == 200, response.content
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def statuses(api: Api, batch_id: int) -> list[tuple[str, str | None]]:
    return [(i["status"], i["payout_status"]) for i in items_of(api, batch_id)]


# --- approval, cancel and the outbox row (executed as the worker would) -----------------------


def test_approval_by_the_creator_is_refused_and_by_another_key_accepted(
    maker: Api, checker: Api, plat: Platform, payee_with: PayeeMaker
) -> None:
    ada, method = payee_with("2000.00")
    items = [_item(ada, method, "700.00"), _item(ada, method, "300.00"), _item(ada, method, "x")]
    created = maker.post(PATH, {"items": items}).json()
    batch_id = created["id"]
    assert (created["status"], created["requires_approval"]) == ("awaiting_approval", True)
    assert _results(created) == [
        (1, "valid", None, None),
        (2, "valid", None, None),
        (3, "invalid", None, "invalid_amount"),
    ]
    quote = maker.get(f"{PATH}/{batch_id}/quote").json()
    assert quote["requires_approval"] is True
    assert quote["currencies"] == [
        {"currency": "USD", "count": 2, "amount": "1000.00", "fee": "0.50", "net": "999.50"}
    ]
    # Nothing is owed execution before the approval.
    assert execution_rows(batch_id) == []
    before = state(plat, ada)
    assert held(plat, ada) == ("2000.00", "0.00")

    refused = maker.post(f"{PATH}/{batch_id}/approve")
    assert_problem(refused, 422, "approver_is_creator")
    assert state(plat, ada) == before

    approved = checker.post(f"{PATH}/{batch_id}/approve")
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert (body["status"], body["approved_by"]) == ("approved", f"api_key:{checker.secret[:15]}")
    assert (body["created_by"], body["completed_at"]) == (f"api_key:{maker.secret[:15]}", None)
    # Approved, not yet executed: the approval wrote the outbox row and moved no money.
    assert statuses(maker, batch_id) == [("valid", None), ("valid", None), ("invalid", None)]
    assert held(plat, ada) == ("2000.00", "0.00")
    assert execution_rows(batch_id) == [False]

    execute(batch_id)

    assert statuses(maker, batch_id) == [
        ("created", "scheduled"),
        ("created", "scheduled"),
        ("invalid", None),
    ]
    assert held(plat, ada) == ("1000.00", "1000.00")
    assert execution_rows(batch_id) == [True]
    again = state(plat, ada)
    assert_problem(checker.post(f"{PATH}/{batch_id}/approve"), 422, "invalid_transition")
    assert_problem(maker.post(f"{PATH}/{batch_id}/cancel"), 422, "invalid_transition")
    assert state(plat, ada) == again


def test_cancel_a_batch_awaiting_approval(
    maker: Api, checker: Api, plat: Platform, payee_with: PayeeMaker
) -> None:
    ada, method = payee_with("2000.00")
    created = maker.post(PATH, {"items": [_item(ada, method, "1500.00")]}).json()
    batch_id = created["id"]

    response = maker.post(f"{PATH}/{batch_id}/cancel", key=None)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"
    items = items_of(maker, batch_id)
    assert [(i["status"], i["payout"]) for i in items] == [("canceled", None)]
    before = state(plat, ada)
    assert_problem(checker.post(f"{PATH}/{batch_id}/approve"), 422, "invalid_transition")
    assert_problem(maker.post(f"{PATH}/{batch_id}/cancel"), 422, "invalid_transition")
    assert state(plat, ada) == before
    assert held(plat, ada) == ("2000.00", "0.00")
    assert execution_rows(batch_id) == []


def test_execution_runs_once_however_often_the_task_is_delivered(
    maker: Api, plat: Platform, payee_with: PayeeMaker
) -> None:
    ada, method = payee_with("100.00")
    batch_id = maker.post(PATH, {"items": [_item(ada, method, "30.00")]}).json()["id"]
    execute(batch_id)
    after = state(plat, ada)
    assert statuses(maker, batch_id) == [("created", "scheduled")]
    assert held(plat, ada) == ("70.00", "30.00")

    execute(batch_id)  # a second delivery, or the sweeper's copy of a message that did arrive

    assert state(plat, ada) == after
    assert Payout.objects.filter(batch_id=batch_id).count() == 1


def test_a_batch_with_nothing_valid_completes_when_executed(maker: Api, plat: Platform) -> None:
    created = maker.post(PATH, {"items": [{"colour": "red"}, {"amount": "1.00"}]}).json()
    assert (created["status"], created["invalid_count"], created["quote"]) == ("approved", 2, {})
    assert execution_rows(created["id"]) == [False]

    execute(created["id"])

    batch = maker.get(f"{PATH}/{created['id']}").json()
    assert (batch["status"], batch["completed_at"] is not None) == ("completed", True)
    assert execution_rows(created["id"]) == [True]
    assert Payout.objects.count() == 0


# --- a real worker ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_worker_executes_a_batch_created_through_the_api(
    maker: Api, plat: Platform, payee_with: PayeeMaker, running: Running
) -> None:
    """API create → the message sent after commit → a worker creates and schedules the payout →
    the outbox row is processed → the payout is paid → the batch completes."""
    ada, method = payee_with("100.00")
    response = maker.post(PATH, {"items": [_item(ada, method, "40.00"), _item(ada, method, "x")]})
    assert response.status_code == 201, response.content
    body = response.json()
    batch_id = body["id"]
    assert (body["status"], body["approved_at"] is not None) == ("approved", True)
    assert _results(body) == [(1, "valid", None, None), (2, "invalid", None, "invalid_amount")]
    assert (held(plat, ada), execution_rows(batch_id)) == (("100.00", "0.00"), [False])

    with celery_worker(queues="payouts"):
        wait_for(lambda: execution_rows(batch_id) == [True], what="the batch executed")
        payout = Payout.objects.get(batch_id=batch_id)
        assert [i["payout"] for i in items_of(maker, batch_id)] == [payout.id, None]
        assert list(
            PayoutTransition.objects.filter(payout=payout)
            .order_by("id")
            .values_list("from_status", "to_status", "actor")[:2]
        ) == [
            ("", "pending", f"api_key:{maker.secret[:15]}"),
            ("pending", "scheduled", SYSTEM),
        ]
        wait_for(lambda: status_of(payout.id) == "paid", what="paid")
        current_app.send_task("payouts.refresh_batches")  # as beat does
        wait_for(
            lambda: maker.get(f"{PATH}/{batch_id}").json()["status"] == "completed",
            what="completed",
        )

    assert transitions(payout)[1:] == [
        ("pending", "scheduled"),
        ("scheduled", "processing"),
        ("processing", "paid"),
    ]
    assert [(i["status"], i["payout_status"], i["fee"]) for i in items_of(maker, batch_id)] == [
        ("created", "paid", "0.25"),
        ("invalid", None, None),
    ]
    assert balances(plat, ada) == {
        "available": "60.00",
        "held": "0.00",
        "in_transit": "0.00",
        "fees": "0.25",
        "cash": "99960.25",
        "funding": "99900.00",
    }
    assert OutboxMessage.objects.filter(kind=outbox.BATCH, processed_at=None).count() == 0
    verify_clean(plat)


@pytest.mark.django_db(transaction=True)
def test_an_approval_without_an_idempotency_key_is_executed_by_a_worker(
    maker: Api, checker: Api, plat: Platform, payee_with: PayeeMaker, running: Running
) -> None:
    """The worker executes outside any transaction, on two threads with their own connections:
    what they create must be committed and visible. A payee whose balance no longer covers an
    item fails that item alone."""
    ada, method = payee_with("3000.00")
    bob, bob_method = payee_with("10.00")
    items = [_item(ada, method, "1200.00"), _item(bob, bob_method, "20.00")]
    batch_id = maker.post(PATH, {"items": items}).json()["id"]
    assert execution_rows(batch_id) == []
    approved = checker.post(f"{PATH}/{batch_id}/approve", key=None)
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved"
    assert statuses(maker, batch_id) == [("valid", None), ("valid", None)]

    with celery_worker(queues="payouts"):
        wait_for(lambda: execution_rows(batch_id) == [True], what="the batch executed")
        results = items_of(maker, batch_id)
        assert [(i["status"], (i["error"] or {}).get("code")) for i in results] == [
            ("created", None),
            ("failed", "insufficient_funds"),
        ]
        wait_for(lambda: status_of(results[0]["payout"]) == "paid", what="paid")

    assert held(plat, ada) == ("1800.00", "0.00")
    assert held(plat, bob) == ("10.00", "0.00")
    assert Payout.objects.filter(payee=bob).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_resends_a_lost_batch_message(
    maker: Api, plat: Platform, payee_with: PayeeMaker, running: Running
) -> None:
    ada, method = payee_with("100.00")
    celery_app.control.purge()
    batch_id = maker.post(PATH, {"items": [_item(ada, method, "25.00")]}).json()["id"]
    # The message sent after commit is lost (say the broker restarted): only the row is left.
    assert celery_app.control.purge() == 1
    row = OutboxMessage.objects.get(kind=outbox.BATCH, object_id=batch_id)
    assert (row.processed_at, row.locked_until, row.attempts) == (None, None, 0)

    with celery_worker(queues="payouts"):
        # Not due yet (as while a worker's lease runs): the sweeper leaves it alone.
        OutboxMessage.objects.filter(pk=row.pk).update(
            available_at=timezone.now() + dt.timedelta(hours=1)
        )
        assert sweep() == {}
        assert statuses(maker, batch_id) == [("valid", None)]
        OutboxMessage.objects.filter(pk=row.pk).update(
            available_at=timezone.now() - dt.timedelta(seconds=1)
        )
        assert sweep() == {outbox.BATCH: 1}
        wait_for(lambda: execution_rows(batch_id) == [True], what="the batch executed")
        payout = Payout.objects.get(batch_id=batch_id)
        assert transitions(payout)[:2] == [("", "pending"), ("pending", "scheduled")]
        wait_for(lambda: status_of(payout.id) == "paid", what="paid")
        # Processed: the sweeper has nothing more to send for it.
        assert outbox.BATCH not in sweep()

    assert statuses(maker, batch_id) == [("created", "paid")]
    assert held(plat, ada) == ("75.00", "0.00")
