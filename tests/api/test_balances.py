"""``GET /v1/balances``: the platform's funding, in transit, fees and cash per currency, read
from its book (hot accounts summed over their shards)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from payouts.execution.submission import payouts_start_due
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_revoke
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import bank_method, earn, fund, pay, status_of

pytestmark = pytest.mark.django_db

ZERO_EUR = {
    "currency": "EUR",
    "funding": "0.00",
    "in_transit": "0.00",
    "fees": "0.00",
    "cash": "0.00",
}


def test_a_new_platform_has_zero_in_each_of_its_currencies(api: Api) -> None:
    response = api.get("/v1/balances")
    assert response.status_code == 200
    assert response.json() == {
        "results": [ZERO_EUR, {**ZERO_EUR, "currency": "USD"}],
    }


def test_balances_after_funding_earning_and_paying_out(
    api: Api, platform: Platform, make_payee: Callable[..., Payee]
) -> None:
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    fund(platform, "250.50", "EUR")
    earn(platform, payee, "100.00")
    payout = pay(platform, payee, method, "40.00")
    assert api.get("/v1/balances").json()["results"] == [
        {**ZERO_EUR, "funding": "250.50", "cash": "250.50"},
        {
            "currency": "USD",
            "funding": "900.00",
            "in_transit": "0.00",
            "fees": "0.00",
            "cash": "1000.00",
        },
    ]

    # Submitting posts held -> in transit (net) + fees: both are sharded hot accounts.
    payouts_start_due()
    assert status_of(payout.id) == "processing"
    assert api.get("/v1/balances").json()["results"] == [
        {**ZERO_EUR, "funding": "250.50", "cash": "250.50"},
        {
            "currency": "USD",
            "funding": "900.00",
            "in_transit": "39.75",
            "fees": "0.25",
            "cash": "1000.00",
        },
    ]


def test_another_platforms_money_is_not_shown(api: Api, other_api: Api, platform: Platform) -> None:
    fund(platform, "1000.00")
    assert other_api.get("/v1/balances").json()["results"] == [
        ZERO_EUR,
        {**ZERO_EUR, "currency": "USD"},
    ]
    assert api.get("/v1/balances").json()["results"][1]["funding"] == "1000.00"


def test_no_key_or_a_revoked_key_is_401(api: Api, platform: Platform) -> None:
    anonymous = Api(platform=platform, secret="", client=Client())
    assert_problem(anonymous.get("/v1/balances"), 401, "not_authenticated")
    api_key_revoke(prefix=api.secret[:15])
    assert_problem(api.get("/v1/balances"), 401, "invalid_api_key")


def test_a_key_without_the_funds_scope_is_403(scoped_api: Callable[[list[str]], Api]) -> None:
    others = scoped_api(["payees", "payouts", "ledger", "webhooks"])
    assert_problem(others.get("/v1/balances"), 403, "insufficient_scope")
    assert scoped_api(["funds"]).get("/v1/balances").status_code == 200


def test_only_get_is_allowed(api: Api) -> None:
    assert_problem(api.post("/v1/balances", {}), 405, "method_not_allowed")
