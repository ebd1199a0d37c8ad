"""``Idempotency-Key``: replays, mismatches, concurrent duplicates and the 30-day purge."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from api.models import IdempotencyKey
from api.services import idempotency_keys_purge
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import balances, bank_method, earn, fund


@pytest.fixture
def ready(platform: Platform, make_payee: Callable[..., Payee]) -> dict[str, Any]:
    payee = make_payee("idem-payee")
    method = bank_method(platform, payee)
    fund(platform, "100.00")
    earn(platform, payee, "50.00")
    return {"payee": payee.id, "payout_method": method.id, "currency": "USD", "amount": "10.00"}


@pytest.mark.django_db
def test_same_key_and_body_replays_the_first_response_byte_for_byte(
    api: Api, ready: dict[str, Any]
) -> None:
    first = api.post("/v1/payouts", ready, key="order-1")
    again = api.post("/v1/payouts", dict(reversed(ready.items())), key="order-1")  # key order
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Payout.objects.count() == 1


@pytest.mark.django_db
def test_same_key_with_another_body_or_path_is_422(api: Api, ready: dict[str, Any]) -> None:
    api.post("/v1/payouts", ready, key="order-2")
    other_body = api.post("/v1/payouts", {**ready, "amount": "11.00"}, key="order-2")
    assert_problem(other_body, 422, "idempotency_key_reused")
    other_path = api.post(
        "/v1/fundings", {"amount": "1.00", "currency": "USD", "reference": "r"}, key="order-2"
    )
    assert_problem(other_path, 422, "idempotency_key_reused")
    assert Payout.objects.count() == 1


@pytest.mark.django_db
def test_an_error_is_replayed_too(api: Api, ready: dict[str, Any], platform: Platform) -> None:
    short = {**ready, "amount": "60.00"}
    first = api.post("/v1/payouts", short, key="too-much")
    assert_problem(first, 422, "insufficient_funds")
    payee = Payee.objects.get(pk=ready["payee"])
    earn(platform, payee, "20.00")  # now it would succeed, but the key already has its answer
    again = api.post("/v1/payouts", short, key="too-much")
    assert again.status_code == 422 and again.content == first.content
    assert again["Content-Type"] == "application/problem+json"
    assert Payout.objects.count() == 0


@pytest.mark.django_db
def test_keys_belong_to_one_platform(api: Api, other_api: Api) -> None:
    body = {"amount": "1.00", "currency": "USD", "reference": "same-ref"}
    fund(other_api.platform, "1.00")
    assert api.post("/v1/fundings", body, key="shared").status_code == 201
    assert other_api.post("/v1/fundings", body, key="shared").status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/v1/payouts", "/v1/fundings", "/v1/earnings"])
def test_money_moving_posts_require_a_key(api: Api, path: str) -> None:
    body = assert_problem(api.post(path, {}, key=None), 400, "validation_error", "Idempotency-Key")
    assert body["errors"][0]["code"] == "idempotency_key_required"


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["", "x" * 256, "spaces in key", "tab\tkey", "é"])
def test_malformed_keys_are_400(api: Api, ready: dict[str, Any], key: str) -> None:
    response = api.client.post(
        "/v1/payouts",
        ready,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.secret}", "Idempotency-Key": key},
    )
    assert_problem(response, 400, "validation_error", "Idempotency-Key")
    assert Payout.objects.count() == 0


@pytest.mark.django_db
def test_a_failed_validation_is_stored_and_a_server_error_never_is(
    api: Api, ready: dict[str, Any]
) -> None:
    assert_problem(api.post("/v1/payouts", {}, key="empty"), 400, "validation_error")
    stored = IdempotencyKey.objects.get(key="empty")
    assert stored.response_status == 400 and stored.method == "POST"
    assert stored.path == "/v1/payouts"


@pytest.mark.django_db
def test_purge_removes_keys_older_than_30_days(api: Api, ready: dict[str, Any]) -> None:
    api.post("/v1/payouts", ready, key="old")
    api.post("/v1/payouts", {**ready, "amount": "1.00"}, key="new")
    IdempotencyKey.objects.filter(key="old").update(
        created=timezone.now() - dt.timedelta(days=30, seconds=1)
    )
    assert idempotency_keys_purge() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_requests_with_one_key_make_one_payout(
    api: Api, ready: dict[str, Any], live_server: Any, platform: Platform
) -> None:
    url = f"{live_server.url}/v1/payouts"
    headers = {"Authorization": f"Bearer {api.secret}", "Idempotency-Key": "burst-1"}
    results: list[httpx.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(20)

    def send() -> None:
        start.wait()
        response = httpx.post(url, json=ready, headers=headers, timeout=30)
        with lock:
            results.append(response)

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 20
    assert {r.status_code for r in results} == {201}
    assert len({r.content for r in results}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in results) == 19
    assert Payout.objects.filter(platform=platform).count() == 1
    payout = Payout.objects.get(platform=platform)
    assert PayoutTransition.objects.filter(payout=payout, from_status="").count() == 1
    payee = Payee.objects.get(pk=ready["payee"])
    assert balances(platform, payee)["held"] == "10.00"
    assert balances(platform, payee)["available"] == "40.00"


@pytest.mark.django_db(transaction=True)
def test_a_request_still_in_progress_answers_409(
    api: Api, ready: dict[str, Any], live_server: Any, settings: Any
) -> None:
    """Another transaction holds the key (as a slow first request would): the second request
    waits IDEMPOTENCY_WAIT_S, then gets 409 and may retry; nothing is created."""
    settings.IDEMPOTENCY_WAIT_S = 0.5
    params = connection.get_connection_params()
    with psycopg.connect(**params) as holder:
        holder.execute(
            "INSERT INTO payouts_idempotencykey (platform_id, key, method, path, request_hash,"
            " response_status, response_body, response_headers, created)"
            " VALUES (%s, 'slow-1', 'POST', '/v1/payouts', 'x', 0, '', '{}', now())",
            [api.platform.id],
        )
        response = httpx.post(
            f"{live_server.url}/v1/payouts",
            json=ready,
            headers={"Authorization": f"Bearer {api.secret}", "Idempotency-Key": "slow-1"},
            timeout=30,
        )
        holder.rollback()
    assert response.status_code == 409, response.content
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "idempotency_request_in_progress"
    assert response.headers["Retry-After"] == "1"
    assert Payout.objects.count() == 0
    # Once the first gives up (rolls back), the same key goes through.
    retry = httpx.post(
        f"{live_server.url}/v1/payouts",
        json=ready,
        headers={"Authorization": f"Bearer {api.secret}", "Idempotency-Key": "slow-1"},
        timeout=30,
    )
    assert retry.status_code == 201
    assert Payout.objects.count() == 1
