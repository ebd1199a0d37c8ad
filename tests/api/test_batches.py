"""``/v1/payout-batches``: JSON batches with per-item results, the quote, the items and the list,
idempotent create, and the tenant boundary (CSV and refused bodies: ``test_batch_uploads.py``).

The request never executes a batch: an approved batch's items answer ``valid`` with no payout, and
an outbox row (``batch.execute``) written with the batch has a worker create its payouts after the
commit. Here that execution is ``batch_execute``, called as the worker calls it; approval, cancel
and the real worker are in ``test_batch_execution.py``."""

# The fixtures imported from batch_fixtures (and tests.payouts.conftest) are the tests' parameters.
# ruff: noqa: F811

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.test import Client

from payouts.batches.models import PayoutBatch
from payouts.outbox import services as outbox
from payouts.outbox.models import OutboxMessage
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_revoke
from tests.api.batch_fixtures import (  # noqa: F401 - fixtures used here
    CSV,
    PATH,
    PayeeMaker,
    _item,
    _results,
    _upload,
    checker,
    execute,
    execution_rows,
    held,
    maker,
    payee_with,
    plat,
    state,
)
from tests.api.conftest import Api, api_for, assert_problem

pytestmark = pytest.mark.django_db


# --- create: JSON ------------------------------------------------------------------------------


def test_json_batch_mixed_rows_each_get_a_result(
    maker: Api, plat: Platform, payee_with: PayeeMaker
) -> None:
    ada, ada_method = payee_with("100.00")
    bob, bob_method = payee_with("50.00", external_id="driver-bob")
    items = [
        _item(ada, ada_method, "40.00"),
        _item(ada, ada_method, "5.00") | {"payee": 10**9},
        _item(ada, ada_method, "12.345"),
        _item(ada, ada_method, "10.00", currency="EUR"),
        _item(ada, ada_method, "5.00", colour="red"),
        _item(ada, ada_method, "5.00") | {"amount": 5},
        7,
        {
            "payee_external_id": "driver-bob",
            "payout_method": bob_method.id,
            "amount": "20.00",
            "currency": "USD",
            "speed": "instant",
            "description": "bonus",
        },
        {
            "payee_external_id": "nobody",
            "payout_method": bob_method.id,
            "amount": "1.00",
            "currency": "USD",
        },
        _item(ada, ada_method, "1.00", payee_external_id="driver-bob"),
        _item(ada, ada_method, "1.00") | {"payee": 10**30, "payout_method": "x"},
    ]
    response = maker.post(PATH, {"description": "week 45", "items": items})

    assert response.status_code == 201, response.content
    body = response.json()
    batch = PayoutBatch.objects.get()
    assert response["Location"] == f"/v1/payout-batches/{batch.id}"
    assert {k: v for k, v in body.items() if k != "items"} == {
        "id": batch.id,
        "object": "payout_batch",
        "status": "approved",
        "description": "week 45",
        "source": "json",
        "item_count": 11,
        "invalid_count": 9,
        "requires_approval": False,
        # 40.00 + 20.00; fees 0.25 + (0.50 + 1% of 20.00)
        "quote": {"USD": {"count": 2, "amount": "60.00", "fee": "0.95", "net": "59.05"}},
        "created_by": f"api_key:{maker.secret[:15]}",
        "approved_by": "",
        "approved_at": body["approved_at"],
        "completed_at": None,
        "created": body["created"],
        "updated": body["updated"],
    }
    # Accepted, not executed: the valid items wait for the worker, no money has moved yet.
    assert _results(body) == [
        (1, "valid", None, None),
        (2, "invalid", None, "payee_not_found"),
        (3, "invalid", None, "invalid_amount"),
        (4, "invalid", None, "currency_mismatch"),
        (5, "invalid", None, "invalid_input"),
        (6, "invalid", None, "invalid_amount"),
        (7, "invalid", None, "invalid_input"),
        (8, "valid", None, None),
        (9, "invalid", None, "payee_not_found"),
        (10, "invalid", None, "invalid_input"),
        (11, "invalid", None, "payee_not_found"),
    ]
    first, bobs = body["items"][0], body["items"][7]
    assert first == {
        "line": 1,
        "status": "valid",
        "submitted": _item(ada, ada_method, "40.00"),
        "payee": ada.id,
        "payout_method": ada_method.id,
        "amount": "40.00",
        "fee": "0.25",
        "currency": "USD",
        "payout": None,
        "payout_status": None,
        "error": None,
    }
    assert (bobs["payee"], bobs["amount"], bobs["fee"]) == (bob.id, "20.00", "0.70")
    assert body["items"][2]["error"] == {
        "code": "invalid_amount",
        "message": "amount: 12.345 has more decimals than USD allows (2)",
    }
    assert body["items"][2]["submitted"]["amount"] == "12.345"
    assert body["items"][8]["error"]["message"] == (
        "payee_external_id: no payee has external_id 'nobody'"
    )
    assert (held(plat, ada), held(plat, bob)) == (("100.00", "0.00"), ("50.00", "0.00"))
    assert maker.get("/v1/payouts", {"batch": str(batch.id)}).json()["results"] == []
    assert execution_rows(batch.id) == [False]

    execute(batch.id)

    items = maker.get(f"{PATH}/{batch.id}/items").json()["results"]
    assert _results({"items": items}) == [
        (1, "created", "scheduled", None),
        *_results(body)[1:7],
        (8, "created", "scheduled", None),
        *_results(body)[8:],
    ]
    assert [items[0][k] for k in ("payee", "amount", "fee")] == [ada.id, "40.00", "0.25"]
    assert (held(plat, ada), held(plat, bob)) == (("60.00", "40.00"), ("30.00", "20.00"))
    payouts = maker.get("/v1/payouts", {"batch": str(batch.id)}).json()["results"]
    assert {p["id"]: (p["status"], p["amount"]) for p in payouts} == {
        items[0]["payout"]: ("scheduled", "40.00"),
        items[7]["payout"]: ("scheduled", "20.00"),
    }
    assert execution_rows(batch.id) == [True]
    # Its payouts are not paid yet: the batch stays approved until they are.
    assert maker.get(f"{PATH}/{batch.id}").json()["status"] == "approved"


def test_retrieve_quote_items_and_list(maker: Api, payee_with: PayeeMaker) -> None:
    ada, method = payee_with("100.00")
    items = [_item(ada, method, "10.00"), _item(ada, method, "0"), _item(ada, method, "2.50")]
    created = maker.post(PATH, {"items": items}).json()
    batch_id = created["id"]

    retrieved = maker.get(f"{PATH}/{batch_id}").json()
    assert retrieved == {k: v for k, v in created.items() if k != "items"} | {
        "status": "approved",
        "updated": retrieved["updated"],
    }
    assert maker.get(f"{PATH}/{batch_id}/quote").json() == {
        "batch": batch_id,
        "object": "payout_batch_quote",
        "status": "approved",
        "currencies": [
            {"currency": "USD", "count": 2, "amount": "12.50", "fee": "0.50", "net": "12.00"}
        ],
        "item_count": 3,
        "valid_count": 2,
        "invalid_count": 1,
        "requires_approval": False,
    }
    page = maker.get(f"{PATH}/{batch_id}/items", {"limit": "2"}).json()
    assert [i["line"] for i in page["results"]] == [1, 2]
    assert page["previous"] is None
    rest = maker.get(page["next"]).json()
    assert ([i["line"] for i in rest["results"]], rest["next"]) == ([3], None)
    assert rest["results"] == created["items"][2:]
    invalid = maker.get(f"{PATH}/{batch_id}/items", {"status": "invalid"}).json()["results"]
    assert [(i["line"], i["error"]["code"]) for i in invalid] == [(2, "invalid_amount")]

    older = maker.post(PATH, {"items": [_item(ada, method, "1000.00")]}).json()
    listed = maker.get(PATH).json()
    assert [b["id"] for b in listed["results"]] == [older["id"], batch_id]
    waiting = maker.get(PATH, {"status": "awaiting_approval"}).json()["results"]
    assert [b["id"] for b in waiting] == [older["id"]]
    assert maker.get(PATH, {"created_lte": "2000-01-01T00:00:00Z"}).json()["results"] == []
    for params, field in (
        ({"status": "done"}, "status"),
        ({"created_gte": "soon"}, "created_gte"),
        ({"limit": "1000"}, "limit"),
        ({"cursor": "zz"}, "cursor"),
    ):
        assert_problem(maker.get(PATH, params), 400, "validation_error", field)
    assert_problem(
        maker.get(f"{PATH}/{batch_id}/items", {"status": "nope"}), 400, "validation_error", "status"
    )


# --- idempotency -------------------------------------------------------------------------------


def test_create_replays_for_the_same_key_and_body(maker: Api, payee_with: PayeeMaker) -> None:
    ada, method = payee_with("100.00")
    body = {"description": "once", "items": [_item(ada, method, "10.00")]}
    first = maker.post(PATH, body, key="batch-1")
    assert first.status_code == 201
    again = maker.post(PATH, json.loads(json.dumps(body)), key="batch-1")
    assert (again.status_code, again["Idempotent-Replayed"]) == (201, "true")
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert PayoutBatch.objects.count() == 1
    batch_id = first.json()["id"]
    assert execution_rows(batch_id) == [False]
    # Once executed, a retry still answers what the first request did: the items as accepted.
    execute(batch_id)
    replayed = maker.post(PATH, body, key="batch-1")
    assert (replayed.status_code, replayed.json()) == (201, first.json())
    assert _results(first.json()) == [(1, "valid", None, None)]
    assert execution_rows(batch_id) == [True]
    other = {**body, "description": "twice"}
    assert_problem(maker.post(PATH, other, key="batch-1"), 422, "idempotency_key_reused")
    csv_body = f"payee,payout_method,amount,currency\n{ada.id},{method.id},1.00,USD\n"
    csv_first = maker.post(PATH, raw=csv_body, content_type=CSV, key="csv-1")
    csv_again = maker.post(PATH, raw=csv_body, content_type=CSV, key="csv-1")
    assert csv_again.json() == csv_first.json()
    upload_first = _upload(maker, csv_body.encode(), key="up-1")
    upload_again = _upload(maker, csv_body.encode(), key="up-1")
    assert upload_again.json() == upload_first.json()
    assert_problem(
        _upload(maker, b"x" + csv_body.encode(), key="up-1"), 422, "idempotency_key_reused"
    )
    assert PayoutBatch.objects.count() == 3
    assert_problem(maker.post(PATH, body, key=None), 400, "validation_error", "Idempotency-Key")
    assert PayoutBatch.objects.count() == 3
    assert OutboxMessage.objects.filter(kind=outbox.BATCH).count() == 3


# --- the tenant boundary, auth and scope -------------------------------------------------------


def test_another_platforms_batch_is_404_and_unchanged(
    maker: Api, other_api: Api, plat: Platform, payee_with: PayeeMaker
) -> None:
    ada, method = payee_with("2000.00")
    batch_id = maker.post(PATH, {"items": [_item(ada, method, "1500.00")]}).json()["id"]
    before = state(plat, ada)
    for path in (f"{PATH}/{batch_id}", f"{PATH}/{batch_id}/items", f"{PATH}/{batch_id}/quote"):
        assert_problem(other_api.get(path), 404, "batch_not_found")
    for action in ("approve", "cancel"):
        assert_problem(other_api.post(f"{PATH}/{batch_id}/{action}"), 404, "batch_not_found")
    assert other_api.get(PATH).json()["results"] == []
    # Our payee and method, named in another platform's batch, are not found there.
    theirs = other_api.post(PATH, {"items": [_item(ada, method, "1.00")]}).json()
    assert _results(theirs) == [(1, "invalid", None, "payee_not_found")]
    assert state(plat, ada)[2] == before[2]
    assert PayoutBatch.objects.get(pk=batch_id).status == "awaiting_approval"
    assert_problem(maker.get(f"{PATH}/999999999"), 404, "batch_not_found")


def _paths(batch_id: int) -> list[tuple[str, str]]:
    return [
        ("post", PATH),
        ("get", PATH),
        ("get", f"{PATH}/{batch_id}"),
        ("get", f"{PATH}/{batch_id}/items"),
        ("get", f"{PATH}/{batch_id}/quote"),
        ("post", f"{PATH}/{batch_id}/approve"),
        ("post", f"{PATH}/{batch_id}/cancel"),
    ]


def test_no_key_a_revoked_key_or_a_missing_scope_is_refused(
    maker: Api,
    plat: Platform,
    payee_with: PayeeMaker,
    scoped_api: Callable[[list[str]], Api],
) -> None:
    ada, method = payee_with("2000.00")
    batch_id = maker.post(PATH, {"items": [_item(ada, method, "1500.00")]}).json()["id"]
    before = state(plat, ada)
    anonymous = Api(platform=plat, secret="", client=Client())
    others = api_for(plat, ["payees", "funds", "ledger", "webhooks"])
    for method_name, path in _paths(batch_id):
        assert_problem(getattr(anonymous, method_name)(path), 401, "not_authenticated")
        assert_problem(getattr(others, method_name)(path), 403, "insufficient_scope")
    api_key_revoke(prefix=maker.secret[:15])
    for method_name, path in _paths(batch_id):
        assert_problem(getattr(maker, method_name)(path), 401, "invalid_api_key")
    assert state(plat, ada) == before
    payouts_only = api_for(plat, ["payouts"])
    assert payouts_only.get(f"{PATH}/{batch_id}").status_code == 200
