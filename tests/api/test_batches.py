"""``/v1/payout-batches``: JSON and CSV batches with per-item results, the quote, idempotent
create, refused and oversized bodies, and the tenant boundary.

The request never executes a batch: an approved batch's items answer ``valid`` with no payout, and
an outbox row (``batch.execute``) written with the batch has a worker create its payouts after the
commit. Here that execution is ``batch_execute``, called as the worker calls it; approval, cancel
and the real worker are in ``test_batch_execution.py``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.batches.services import batch_execute
from payouts.outbox import services as outbox
from payouts.outbox.models import OutboxMessage
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_revoke, platform_create
from tests.api.conftest import Api, api_for, assert_problem
from tests.support.payouts import balances, bank_method, earn, fund

pytestmark = pytest.mark.django_db

PATH = "/v1/payout-batches"
CSV = "text/csv"


@pytest.fixture
def plat(db: None) -> Platform:
    """USD and EUR, approval at 1,000.00 USD; fees: standard 0.25, instant 0.50 + 1%."""
    platform = platform_create(
        name=f"Batcher {time.monotonic_ns()}",
        currencies=["USD", "EUR"],
        approval_thresholds={"USD": "1000.00"},
    )
    fund(platform, "100000.00")
    return platform


@pytest.fixture
def maker(plat: Platform) -> Api:
    return api_for(plat)


@pytest.fixture
def checker(plat: Platform) -> Api:
    """Another key of the same platform: a second person."""
    return api_for(plat)


PayeeMaker = Callable[..., tuple[Payee, PayoutMethod]]


@pytest.fixture
def payee_with(plat: Platform, make_payee: Callable[..., Payee]) -> PayeeMaker:
    def make(available: str, external_id: str = "") -> tuple[Payee, PayoutMethod]:
        payee = make_payee(platform=plat, external_id=external_id)
        method = bank_method(plat, payee)
        earn(plat, payee, available)
        return payee, method

    return make


def _item(payee: Payee, method: PayoutMethod, amount: str, **extra: Any) -> dict[str, Any]:
    return {"payee": payee.id, "payout_method": method.id, "amount": amount, "currency": "USD"} | (
        extra
    )


def _results(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (i["line"], i["status"], i["payout_status"], (i["error"] or {}).get("code"))
        for i in body["items"]
    ]


def state(plat: Platform, *payees: Payee) -> tuple[Any, ...]:
    return (
        list(PayoutBatch.objects.values_list("id", "status", "approved_by").order_by("id")),
        list(PayoutBatchItem.objects.values_list("id", "status", "payout_id").order_by("id")),
        [balances(plat, payee) for payee in payees],
        list(OutboxMessage.objects.values_list("kind", "object_id", "processed_at").order_by("id")),
    )


def execution_rows(batch_id: int) -> list[bool]:
    """The batch's ``batch.execute`` outbox rows: whether each is processed."""
    rows = OutboxMessage.objects.filter(kind=outbox.BATCH, object_id=batch_id).order_by("id")
    return [processed is not None for processed in rows.values_list("processed_at", flat=True)]


def execute(batch_id: int) -> None:
    """What the ``payouts.execute_batch`` task does for the batch's outbox row."""
    batch_execute(batch_id=batch_id, actor="system:batch")


def held(plat: Platform, payee: Payee) -> tuple[str, str]:
    return balances(plat, payee)["available"], balances(plat, payee)["held"]


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


# --- create: CSV -------------------------------------------------------------------------------


def test_raw_csv_by_external_id_with_malformed_rows(
    maker: Api, plat: Platform, payee_with: PayeeMaker
) -> None:
    ada, ada_method = payee_with("100.00", external_id="ada-1")
    csv_text = (
        "\ufeffexternal_id,payout_method,amount,currency,speed\n"
        f"ada-1,{ada_method.id},25.00,USD,standard\n"
        f"ghost,{ada_method.id},5.00,USD,standard\n"
        f"ada-1,{ada_method.id},abc,USD,standard\n"
        f"ada-1,{ada_method.id},5.00,USD\n"
        "\n"
        f'ada-1,{ada_method.id},"5.00",USD,warp\n'
    )
    response = maker.post(PATH, raw=csv_text, content_type=CSV)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["item_count"], body["invalid_count"]) == ("csv", 5, 4)
    assert body["description"] == ""
    assert body["quote"] == {"USD": {"count": 1, "amount": "25.00", "fee": "0.25", "net": "24.75"}}
    assert _results(body) == [
        (2, "valid", None, None),
        (3, "invalid", None, "payee_not_found"),
        (4, "invalid", None, "invalid_amount"),
        (5, "invalid", None, "invalid_input"),
        (7, "invalid", None, "invalid_input"),
    ]
    assert body["items"][0]["submitted"] == {
        "external_id": "ada-1",
        "payout_method": str(ada_method.id),
        "amount": "25.00",
        "currency": "USD",
        "speed": "standard",
    }
    assert body["items"][3]["error"]["message"] == "line 5: expected 5 fields, got 4"
    assert (held(plat, ada), execution_rows(body["id"])) == (("100.00", "0.00"), [False])

    execute(body["id"])

    items = maker.get(f"{PATH}/{body['id']}/items").json()["results"]
    assert _results({"items": items}) == [(2, "created", "scheduled", None), *_results(body)[1:]]
    assert (held(plat, ada), execution_rows(body["id"])) == (("75.00", "25.00"), [True])


def test_csv_upload_as_multipart(maker: Api, payee_with: PayeeMaker) -> None:
    ada, method = payee_with("100.00")
    csv_bytes = (
        "payee,payout_method,amount,currency,description\n"
        f"{ada.id},{method.id},10.00,USD,first\n"
        f"{ada.id},{method.id},10.00,JPY,second\n"
    ).encode()
    upload = SimpleUploadedFile("batch.csv", csv_bytes, content_type=CSV)
    response = maker.client.post(
        PATH,
        {"file": upload, "description": "uploaded"},
        headers={"Authorization": f"Bearer {maker.secret}", "Idempotency-Key": "upload-1"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["source"], body["description"], body["item_count"]) == ("csv", "uploaded", 2)
    assert _results(body) == [
        (2, "valid", None, None),
        (3, "invalid", None, "unsupported_currency"),
    ]
    assert execution_rows(body["id"]) == [False]
    execute(body["id"])
    items = maker.get(f"{PATH}/{body['id']}/items").json()["results"]
    assert [(i["status"], i["payout_status"], i["amount"]) for i in items] == [
        ("created", "scheduled", "10.00"),
        ("invalid", None, None),
    ]


def _upload(api: Api, content: bytes, key: str = "", **fields: Any) -> Any:
    data = {"file": SimpleUploadedFile("b.csv", content, content_type=CSV), **fields}
    headers = {"Authorization": f"Bearer {api.secret}", "Idempotency-Key": key or str(time.time())}
    return api.client.post(PATH, data, headers=headers)


def test_csv_that_cannot_be_a_batch_is_400_and_creates_nothing(maker: Api) -> None:
    header = b"payee,payout_method,amount,currency\n"
    cases: list[tuple[Any, str, str]] = [
        (_upload(maker, b"\xff\xfe\x00bad"), "file", "invalid_encoding"),
        (_upload(maker, b""), "file", "empty"),
        (_upload(maker, header + b"1,2,3.00,US\x00D\n"), "file", "null_characters_not_allowed"),
        (_upload(maker, header, description="d" * 501), "description", "max_length"),
        (maker.client.post(PATH, {"description": "x"}, headers=_auth(maker)), "file", "required"),
        (maker.post(PATH, raw=b"colour,size\nred,9\n", content_type=CSV), "csv", "invalid_input"),
        (maker.post(PATH, raw=header, content_type=CSV), "csv", "invalid_input"),
        (
            maker.post(PATH, raw=header + b"1,2,\x00,USD\n", content_type=CSV),
            "csv",
            "null_characters_not_allowed",
        ),
    ]
    for response, field, code in cases:
        body = assert_problem(response, 400, response.json()["code"], field)
        assert (field, code) in [(e["field"], e["code"]) for e in body["errors"]], body
    body = assert_problem(
        maker.post(PATH, raw=b"\xff\xfe", content_type=CSV), 400, "malformed_request"
    )
    assert body["detail"] == "the CSV is not UTF-8 text"
    assert PayoutBatch.objects.count() == 0


def _auth(api: Api, key: str = "") -> dict[str, str]:
    return {"Authorization": f"Bearer {api.secret}", "Idempotency-Key": key or str(time.time())}


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


# --- bad requests ------------------------------------------------------------------------------


def test_bad_bodies_are_refused_and_create_nothing(maker: Api, payee_with: PayeeMaker) -> None:
    ada, method = payee_with("100.00")
    good = _item(ada, method, "1.00")
    cases: list[tuple[Any, str]] = [
        ({}, "items"),
        ({"items": []}, "items"),
        ({"items": "all of them"}, "items"),
        ({"items": {"0": good}}, "items"),
        ({"items": [good], "description": "d" * 501}, "description"),
        ({"items": [good], "description": "a\x00b"}, "description"),
        ({"items": [good, good | {"description": "\x00"}]}, "items[1]"),
        ({"items": [good | {"n\x00": 1}]}, "items[0]"),
        ([good], ""),
        ("items", ""),
    ]
    for body, field in cases:
        assert_problem(maker.post(PATH, body), 400, "validation_error", field)
    nested: Any = 1
    for _ in range(40):
        nested = [nested]
    for raw in ("[" * 100_000 + "]" * 100_000, json.dumps({"items": [good, nested]}), "{", "NaN"):
        assert_problem(maker.post(PATH, raw=raw), 400, "malformed_request")
    assert_problem(
        maker.post(PATH, raw="a=b", content_type="application/x-www-form-urlencoded"),
        415,
        "unsupported_media_type",
    )
    assert PayoutBatch.objects.count() == 0


def test_oversized_batches_are_413(maker: Api, payee_with: PayeeMaker) -> None:
    """At most 10,000 items and 5 MB; a body past what Django reads at once (6 MB) is 413 too."""
    ada, method = payee_with("100.00")
    too_many = {"items": [_item(ada, method, "1.00")] * 10_001}
    assert_problem(maker.post(PATH, too_many), 413, "batch_too_large")
    header = "payee,payout_method,amount,currency\n"
    rows = f"{ada.id},{method.id},1.00,USD\n" * 10_001
    assert_problem(maker.post(PATH, raw=header + rows, content_type=CSV), 413, "batch_too_large")
    assert_problem(_upload(maker, (header + rows).encode()), 413, "batch_too_large")
    huge = "x" * (5 * 1024 * 1024 + 1)
    assert_problem(maker.post(PATH, raw=huge), 413, "batch_too_large")
    assert_problem(maker.post(PATH, raw=huge, content_type=CSV), 413, "batch_too_large")
    assert_problem(_upload(maker, huge.encode()), 413, "batch_too_large")
    huger = "x" * (6 * 1024 * 1024 + 1)
    assert_problem(maker.post(PATH, raw=huger), 413, "batch_too_large")
    assert_problem(maker.post(PATH, raw=huger, content_type=CSV), 413, "batch_too_large")
    assert_problem(_upload(maker, huger.encode()), 413, "batch_too_large")
    assert_problem(_upload(maker, b"x", description=huger), 413, "batch_too_large")
    assert (PayoutBatch.objects.count(), OutboxMessage.objects.count()) == (0, 0)
    # Exactly at the limit is fine (these items are all refused on sight, so it is quick).
    at_limit = maker.post(PATH, {"items": [{"colour": "red"}] * 10_000})
    assert at_limit.status_code == 201, at_limit.content
    assert (at_limit.json()["item_count"], at_limit.json()["invalid_count"]) == (10_000, 10_000)


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
