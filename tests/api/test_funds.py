"""``/v1/fundings`` and ``/v1/earnings``: happy paths, every validation error, and an earning the
platform's funding does not cover."""

from __future__ import annotations

from typing import Any

import pytest

from payouts.funds.models import Earning, Funding
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import balances, fund

pytestmark = pytest.mark.django_db


def test_funding_and_earning(api: Api, platform: Platform, payee: Payee) -> None:
    funding = api.post(
        "/v1/fundings", {"amount": "1000.00", "currency": "USD", "reference": "wire-2026-11-01"}
    )
    assert funding.status_code == 201
    body = funding.json()
    assert {k: body[k] for k in ("amount", "currency", "reference", "status")} == {
        "amount": "1000.00",
        "currency": "USD",
        "reference": "wire-2026-11-01",
        "status": "confirmed",
    }
    assert api.get(f"/v1/fundings/{body['id']}").json() == body
    duplicate = api.post(
        "/v1/fundings", {"amount": "5.00", "currency": "USD", "reference": "wire-2026-11-01"}
    )
    assert_problem(duplicate, 409, "duplicate_reference")
    earning = api.post(
        "/v1/earnings",
        {"payee": payee.id, "amount": "50.00", "currency": "USD", "description": "week 45"},
    )
    assert earning.status_code == 201
    assert earning.json()["amount"] == "50.00" and earning.json()["payee"] == payee.id
    assert balances(platform, payee)["available"] == "50.00"
    assert balances(platform, payee)["funding"] == "950.00"
    listed = api.get("/v1/earnings", {"payee": payee.id}).json()["results"]
    assert [e["id"] for e in listed] == [earning.json()["id"]]


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/v1/fundings", {"amount": "1.00", "currency": "USD"}, "validation_error", "reference"),
        (
            "/v1/fundings",
            {"amount": 1, "currency": "USD", "reference": "r"},
            "validation_error",
            "amount",
        ),
        (
            "/v1/fundings",
            {"amount": "1.999", "currency": "USD", "reference": "r"},
            "invalid_amount",
            "amount",
        ),
        (
            "/v1/fundings",
            {"amount": "1.00", "currency": "XXX", "reference": "r"},
            "unsupported_currency",
            "currency",
        ),
        (
            "/v1/fundings",
            {"amount": "1.00", "currency": "USD", "reference": "r" * 201},
            "validation_error",
            "reference",
        ),
        ("/v1/earnings", {"payee": 1, "amount": "1.00"}, "validation_error", "currency"),
        (
            "/v1/earnings",
            {"payee": -1, "amount": "1.00", "currency": "USD"},
            "validation_error",
            "payee",
        ),
        (
            "/v1/earnings",
            {"payee": "PAYEE", "amount": "0", "currency": "USD"},
            "invalid_amount",
            "amount",
        ),
    ],
)
def test_funds_reject_bad_input(
    api: Api, payee: Payee, path: str, body: dict[str, Any], code: str, field: str
) -> None:
    before = (Funding.objects.count(), Earning.objects.count())
    body = {k: payee.id if v == "PAYEE" else v for k, v in body.items()}
    assert_problem(api.post(path, body), 400, code, field)
    assert (Funding.objects.count(), Earning.objects.count()) == before


def test_earning_beyond_the_funding_is_insufficient_funds(
    api: Api, platform: Platform, payee: Payee
) -> None:
    fund(platform, "10.00")
    response = api.post("/v1/earnings", {"payee": payee.id, "amount": "10.01", "currency": "USD"})
    assert_problem(response, 422, "insufficient_funds")
    assert balances(platform, payee)["available"] == "0.00"
    assert Earning.objects.count() == 0
