"""``/v1/payees/{id}/balances`` and ``/v1/payees/{id}/payability``: exact figures from the ledger
and the payouts, the query budget, machine-readable blockers, auth, scope and other platforms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from payouts.lifecycle.models import Payout
from payouts.payees.models import Payee, PayoutMethod
from payouts.payees.services import method_disable
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_revoke
from tests.api.conftest import Api, assert_problem
from tests.payouts.conftest import running  # noqa: F401 - the fixture
from tests.support.payouts import (
    ACTOR,
    Running,
    bank_method,
    earn,
    fund,
    pay,
    status_of,
    wait_for,
)
from tests.workers import celery_worker


@pytest.fixture
def payee(make_payee: Callable[..., Payee]) -> Payee:
    return make_payee("driver-17")


def balances_of(client: Api, payee_id: int) -> Any:
    response = client.get(f"/v1/payees/{payee_id}/balances")
    assert response.status_code == 200, response.content
    return response.json()


def payability(client: Api, payee_id: int, **params: str) -> Any:
    response = client.get(f"/v1/payees/{payee_id}/payability", params)
    assert response.status_code == 200, response.content
    return response.json()


def move(payout: Payout, *statuses: str) -> None:
    """Walk a payout's status as the worker would (the database checks each step)."""
    for status in statuses:
        Payout.objects.filter(pk=payout.pk).update(status=status)


# --- balances ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_payee_without_accounts_has_no_balances(api: Api, payee: Payee) -> None:
    assert balances_of(api, payee.id) == {"results": []}


@pytest.mark.django_db
def test_available_held_and_lifetime_paid_per_currency(
    api: Api, platform: Platform, payee: Payee, make_payee: Callable[..., Payee]
) -> None:
    method = bank_method(platform, payee)
    fund(platform, "1000.00")
    fund(platform, "1000.00", "EUR")
    earn(platform, payee, "100.00")
    earn(platform, payee, "12.34", "EUR")
    paid = pay(platform, payee, method, "10.00")  # net 9.75
    returned = pay(platform, payee, method, "20.00")
    processing = pay(platform, payee, method, "30.00")
    held = pay(platform, payee, method, "5.00")
    move(paid, "processing", "paid")
    move(returned, "processing", "paid", "returned")
    move(processing, "processing")
    # Another payee's paid payout is not ours.
    someone = make_payee("someone")
    earn(platform, someone, "50.00")
    move(pay(platform, someone, bank_method(platform, someone), "50.00"), "processing", "paid")

    assert balances_of(api, payee.id) == {
        "results": [
            {"currency": "EUR", "available": "12.34", "held": "0.00", "lifetime_paid": "0.00"},
            # The holds stay until a worker posts the submissions; this test moved statuses only.
            {"currency": "USD", "available": "35.00", "held": "65.00", "lifetime_paid": "9.75"},
        ]
    }
    assert held.status == "scheduled"


@pytest.mark.django_db
def test_balances_take_three_queries_with_authentication(
    api: Api, platform: Platform, payee: Payee
) -> None:
    fund(platform, "100.00")
    earn(platform, payee, "25.00")
    api.get(f"/v1/payees/{payee.id}/balances")  # warm caches (content types, settings)
    with CaptureQueriesContext(connection) as queries:
        body = balances_of(api, payee.id)
    assert body == {
        "results": [
            {"currency": "USD", "available": "25.00", "held": "0.00", "lifetime_paid": "0.00"}
        ]
    }
    assert len(queries) == 3, [q["sql"] for q in queries]  # the API key, the payee, the ledger


@pytest.mark.django_db(transaction=True)
def test_lifetime_paid_counts_paid_payouts_and_not_returned_ones(
    api: Api,
    platform: Platform,
    payee: Payee,
    running: Running,  # noqa: F811
) -> None:
    settles = bank_method(platform, payee, "000123456789")
    returns = bank_method(platform, payee, "000123450002")  # the sandbox returns it (R01)
    fund(platform, "1000.00")
    earn(platform, payee, "100.00")
    paid = pay(platform, payee, settles, "40.00")
    returned = pay(platform, payee, returns, "40.00")
    with celery_worker():
        wait_for(lambda: status_of(paid.id) == "paid", what="paid")
        wait_for(lambda: status_of(returned.id) == "returned", what="returned")
    # 100.00 - 40.00 - 40.00 + 39.75 returned net; one 39.75 paid.
    assert balances_of(api, payee.id) == {
        "results": [
            {"currency": "USD", "available": "59.75", "held": "0.00", "lifetime_paid": "39.75"}
        ]
    }


# --- payability --------------------------------------------------------------------------------


def blocker_codes(body: dict[str, Any]) -> list[str]:
    return [b["code"] for b in body["blockers"]]


@pytest.mark.django_db
def test_payable_with_an_active_method(api: Api, platform: Platform, payee: Payee) -> None:
    bank_method(platform, payee)
    assert payability(api, payee.id) == {
        "payee": payee.id,
        "currency": None,
        "is_payable": True,
        "blockers": [],
    }
    assert payability(api, payee.id, currency="USD") == {
        "payee": payee.id,
        "currency": "USD",
        "is_payable": True,
        "blockers": [],
    }


@pytest.mark.django_db
def test_no_payout_method(api: Api, platform: Platform, payee: Payee) -> None:
    assert payability(api, payee.id) == {
        "payee": payee.id,
        "currency": None,
        "is_payable": False,
        "blockers": [
            {"code": "no_payout_method", "message": "the payee has no active payout method"}
        ],
    }
    method = bank_method(platform, payee)
    eur = payability(api, payee.id, currency="EUR")
    assert eur["blockers"] == [
        {"code": "no_payout_method", "message": "the payee has no active payout method in EUR"}
    ]
    method_disable(platform=platform, payee_id=payee.id, method_id=method.id, actor=ACTOR)
    assert blocker_codes(payability(api, payee.id)) == ["no_payout_method"]
    assert blocker_codes(payability(api, payee.id, currency="USD")) == ["no_payout_method"]


@pytest.mark.django_db
def test_blocked_archived_and_unsupported_currency(
    api: Api, platform: Platform, payee: Payee
) -> None:
    bank_method(platform, payee)
    assert api.patch(f"/v1/payees/{payee.id}", {"status": "blocked"}).status_code == 200
    assert payability(api, payee.id)["blockers"] == [
        {
            "code": "payee_blocked",
            "message": "the payee is blocked; set its status to active to pay it",
        }
    ]
    api.patch(f"/v1/payees/{payee.id}", {"status": "archived"})
    body = payability(api, payee.id, currency="GBP")
    assert body["is_payable"] is False
    assert body["blockers"] == [
        {
            "code": "payee_archived",
            "message": "the payee is archived; set its status to active to pay it",
        },
        {"code": "currency_not_supported", "message": "this platform does not pay out in GBP"},
        {"code": "no_payout_method", "message": "the payee has no active payout method in GBP"},
    ]
    api.patch(f"/v1/payees/{payee.id}", {"status": "active"})
    assert payability(api, payee.id)["is_payable"] is True


@pytest.mark.django_db
@pytest.mark.parametrize("currency", ["usd", "US", "USDT", "", "U\x00D", "1"])
def test_payability_rejects_a_bad_currency(api: Api, payee: Payee, currency: str) -> None:
    response = api.get(f"/v1/payees/{payee.id}/payability", {"currency": currency})
    assert_problem(response, 400, "validation_error", "currency")


@pytest.mark.django_db
def test_missing_payee_is_404(api: Api) -> None:
    assert_problem(api.get("/v1/payees/999999999/balances"), 404, "payee_not_found")
    assert_problem(api.get("/v1/payees/999999999/payability"), 404, "payee_not_found")


# --- auth, scope, other platforms ----------------------------------------------------------------


def paths(payee_id: int) -> list[str]:
    return [f"/v1/payees/{payee_id}/balances", f"/v1/payees/{payee_id}/payability"]


@pytest.mark.django_db
def test_no_key_or_a_revoked_key_is_401(api: Api, platform: Platform, payee: Payee) -> None:
    anonymous = Api(platform=platform, secret="", client=Client())
    for path in paths(payee.id):
        assert_problem(anonymous.get(path), 401, "not_authenticated")
    api_key_revoke(prefix=api.secret[:15])
    for path in paths(payee.id):
        assert_problem(api.get(path), 401, "invalid_api_key")


@pytest.mark.django_db
def test_a_key_without_the_payees_scope_is_403(
    scoped_api: Callable[[list[str]], Api], payee: Payee
) -> None:
    ledger_only = scoped_api(["ledger", "payouts"])
    for path in paths(payee.id):
        assert_problem(ledger_only.get(path), 403, "insufficient_scope")


@pytest.mark.django_db
def test_another_platforms_payee_is_404(other_api: Api, platform: Platform, payee: Payee) -> None:
    bank_method(platform, payee)
    fund(platform, "100.00")
    earn(platform, payee, "25.00")
    before = (Payee.objects.values_list("status").get(pk=payee.pk), PayoutMethod.objects.count())
    for path in paths(payee.id):
        assert_problem(other_api.get(path), 404, "payee_not_found")
    assert_problem(
        other_api.get(f"/v1/payees/{payee.id}/payability", {"currency": "USD"}),
        404,
        "payee_not_found",
    )
    after = (Payee.objects.values_list("status").get(pk=payee.pk), PayoutMethod.objects.count())
    assert after == before
