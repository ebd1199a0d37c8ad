"""``/v1/payouts``: happy paths, every validation error, scopes and other platforms' ids (their
fundings and earnings: ``test_funds.py``)."""

from __future__ import annotations

from typing import Any

import pytest

from payouts.funds.models import Earning, Funding
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import balances, fund

pytestmark = pytest.mark.django_db


def snapshot(platform: Platform, payee: Payee) -> tuple[object, ...]:
    return (
        balances(platform, payee),
        Payout.objects.filter(platform=platform).count(),
        PayoutTransition.objects.filter(payout__platform=platform).count(),
        Funding.objects.filter(platform=platform).count(),
        Earning.objects.filter(platform=platform).count(),
    )


def test_create_payout_then_retrieve_list_and_history(
    api: Api, ready: dict[str, Any], platform: Platform, payee: Payee
) -> None:
    response = api.post("/v1/payouts", {**ready, "amount": "25.00", "description": "week 45"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/v1/payouts/{body['id']}"
    assert {k: body[k] for k in ("status", "is_final", "amount", "fee", "net_amount")} == {
        "status": "scheduled",
        "is_final": False,
        "amount": "25.00",
        "fee": "0.25",
        "net_amount": "24.75",
    }
    assert body["payee"] == payee.id and body["currency"] == "USD"
    assert body["payout_method"] == {
        "id": ready["payout_method"],
        "type": "us_bank_account",
        "last4": "6789",
    }
    assert body["rail"] == "sandbox" and body["estimated_arrival"]
    assert body["failure_code"] is None and body["description"] == "week 45"
    assert len(body["ledger_entries"]) == 1  # the hold
    assert balances(platform, payee)["available"] == "25.00"
    assert balances(platform, payee)["held"] == "25.00"

    assert api.get(f"/v1/payouts/{body['id']}").json() == body
    listed = api.get("/v1/payouts").json()
    assert listed == {"next": None, "previous": None, "results": [body]}
    history = api.get(f"/v1/payouts/{body['id']}/transitions").json()["results"]
    assert [(t["from"], t["to"]) for t in history] == [(None, "pending"), ("pending", "scheduled")]
    assert history[0]["ledger_entry"] == body["ledger_entries"][0]
    assert history[0]["actor"] == f"api_key:{api.secret[:15]}"


def test_list_filters_and_cursor_pages(api: Api, ready: dict[str, Any]) -> None:
    ids = [api.post("/v1/payouts", {**ready, "amount": "5.00"}).json()["id"] for _ in range(5)]
    api.post(f"/v1/payouts/{ids[0]}/cancel", {})
    page1 = api.get("/v1/payouts", {"limit": 2}).json()
    assert [p["id"] for p in page1["results"]] == ids[::-1][:2]
    page2 = api.client.get(page1["next"], headers={"Authorization": f"Bearer {api.secret}"}).json()
    assert [p["id"] for p in page2["results"]] == ids[::-1][2:4]
    back = api.client.get(page2["previous"], headers={"Authorization": f"Bearer {api.secret}"})
    assert [p["id"] for p in back.json()["results"]] == ids[::-1][:2]
    canceled = api.get("/v1/payouts", {"status": "canceled"}).json()["results"]
    assert [p["id"] for p in canceled] == [ids[0]]
    assert len(api.get("/v1/payouts", {"payee": ready["payee"]}).json()["results"]) == 5
    assert api.get("/v1/payouts", {"payee": ready["payee"] + 1000}).json()["results"] == []
    assert api.get("/v1/payouts", {"created_gte": "2999-01-01T00:00:00Z"}).json()["results"] == []
    assert (
        len(api.get("/v1/payouts", {"created_lte": "2999-01-01T00:00:00Z"}).json()["results"]) == 5
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"status": "lost"}, "status"),
        ({"payee": "abc"}, "payee"),
        ({"payee": "99999999999999999999999"}, "payee"),
        ({"created_gte": "yesterday"}, "created_gte"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_list_rejects_bad_filters(api: Api, params: dict[str, str], field: str) -> None:
    assert_problem(api.get("/v1/payouts", params), 400, "validation_error", field)


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"amount": 25}, 400, "validation_error", "amount"),
        ({"amount": 25.5}, 400, "validation_error", "amount"),
        ({"amount": "abc"}, 400, "validation_error", "amount"),
        ({"amount": "-5.00"}, 400, "validation_error", "amount"),
        ({"amount": "0.00"}, 400, "invalid_amount", "amount"),
        ({"amount": "1.001"}, 400, "invalid_amount", "amount"),
        ({"amount": None}, 400, "validation_error", "amount"),
        ({"currency": "usd"}, 400, "validation_error", "currency"),
        ({"currency": "JPY"}, 400, "unsupported_currency", "currency"),
        ({"currency": "EUR"}, 400, "currency_mismatch", None),
        ({"speed": "warp"}, 400, "validation_error", "speed"),
        ({"payee": "x"}, 400, "validation_error", "payee"),
        ({"payee": 2**70}, 400, "validation_error", "payee"),
        ({"payee": 99999999}, 404, "payee_not_found", "payee"),
        ({"payout_method": 99999999}, 404, "payout_method_not_found", "payout_method"),
        ({"description": "x" * 501}, 400, "validation_error", "description"),
        ({"description": "nul\x00"}, 400, "validation_error", "description"),
        ({"amount": "60.00"}, 422, "insufficient_funds", None),
        ({"amount": "0.10"}, 400, "amount_below_fee", None),
    ],
)
def test_create_payout_rejects_bad_input_and_changes_nothing(
    api: Api,
    ready: dict[str, Any],
    platform: Platform,
    payee: Payee,
    change: dict[str, Any],
    status: int,
    code: str,
    field: str | None,
) -> None:
    before = snapshot(platform, payee)
    body = {**ready, "amount": "25.00", **change}
    assert_problem(api.post("/v1/payouts", body), status, code, field)
    assert snapshot(platform, payee) == before


def test_missing_fields_are_listed_one_by_one(api: Api) -> None:
    body = assert_problem(api.post("/v1/payouts", {}), 400, "validation_error")
    assert sorted(e["field"] for e in body["errors"]) == [
        "amount",
        "currency",
        "payee",
        "payout_method",
    ]
    assert {e["code"] for e in body["errors"]} == {"required"}


def test_cancel_releases_the_hold_and_cannot_repeat(
    api: Api, ready: dict[str, Any], platform: Platform, payee: Payee
) -> None:
    payout = api.post("/v1/payouts", {**ready, "amount": "25.00"}).json()
    canceled = api.post(f"/v1/payouts/{payout['id']}/cancel", {"reason": "typo"})
    assert canceled.status_code == 200
    assert canceled.json()["status"] == "canceled" and canceled.json()["is_final"] is True
    assert balances(platform, payee)["available"] == "50.00"
    assert balances(platform, payee)["held"] == "0.00"
    again = api.post(f"/v1/payouts/{payout['id']}/cancel", {})
    assert_problem(again, 422, "payout_not_cancelable")
    history = api.get(f"/v1/payouts/{payout['id']}/transitions").json()["results"]
    assert history[-1]["to"] == "canceled" and history[-1]["reason"] == "typo"


def test_other_platforms_ids_answer_404_and_change_nothing(
    api: Api, other_api: Api, ready: dict[str, Any], platform: Platform, payee: Payee
) -> None:
    payout = api.post("/v1/payouts", {**ready, "amount": "25.00"}).json()
    funding = api.get("/v1/fundings").json()["results"][0]
    before = snapshot(platform, payee)
    for path in (
        f"/v1/payouts/{payout['id']}",
        f"/v1/payouts/{payout['id']}/transitions",
        f"/v1/fundings/{funding['id']}",
    ):
        missing = assert_problem(other_api.get(path), 404, other_api.get(path).json()["code"])
        assert missing["code"].endswith("not_found")
    assert_problem(
        other_api.post(f"/v1/payouts/{payout['id']}/cancel", {}), 404, "payout_not_found"
    )
    fund(other_api.platform, "100.00")
    theirs = other_api.post("/v1/payouts", {**ready, "amount": "5.00"})
    assert_problem(theirs, 404, "payee_not_found", "payee")
    earning = other_api.post(
        "/v1/earnings", {"payee": payee.id, "amount": "1.00", "currency": "USD"}
    )
    assert_problem(earning, 404, "payee_not_found", "payee")
    assert other_api.get("/v1/payouts").json()["results"] == []
    assert other_api.get("/v1/earnings").json()["results"] == []
    assert snapshot(platform, payee) == before
