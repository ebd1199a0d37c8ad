"""``/v1/payout-batches`` from CSV (a raw body, or a multipart upload), and the bodies refused
before any batch exists: unreadable, bad or oversized (413)."""

# The fixtures imported from batch_fixtures (and tests.payouts.conftest) are the tests' parameters.
# ruff: noqa: F811

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from payouts.batches.models import PayoutBatch
from payouts.outbox.models import OutboxMessage
from payouts.platforms.models import Platform
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
from tests.api.conftest import Api, assert_problem

pytestmark = pytest.mark.django_db


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
