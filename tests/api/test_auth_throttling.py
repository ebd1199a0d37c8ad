"""Failed authentication is limited per client address: past ``API_AUTH_FAILURES_PER_MIN``
failures in a minute the address gets 429 with Retry-After, whatever key it sends, until the
minute that began with its first failure is over. Other addresses are not affected."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from api import redis as api_redis
from payouts.funds.models import Funding
from tests.api.conftest import Api, assert_problem

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.7"
NEIGHBOUR = "203.0.113.8"


def _client(address: str, key: str | None) -> Client:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {key}"} if key else {}
    return Client(REMOTE_ADDR=address, **headers)


@override_settings(API_AUTH_FAILURES_PER_MIN=3)
def test_failed_authentication_is_rate_limited_per_client_address(api: Api) -> None:
    api_redis.client().flushdb()
    guessing = _client(ATTACKER, "sk_live_guess")
    for _ in range(3):
        assert_problem(guessing.get("/v1/payouts"), 401, "invalid_api_key")
    before = Funding.objects.count()
    body = {"amount": "1.00", "currency": "USD", "reference": "r"}
    for response in (
        guessing.get("/v1/payouts"),
        guessing.post("/v1/fundings", body, content_type="application/json"),
        # Once blocked, the address is refused whatever key it sends: a right guess included.
        _client(ATTACKER, api.secret).get("/v1/payouts"),
    ):
        problem = assert_problem(response, 429, "too_many_failed_authentications")
        wait = int(response["Retry-After"])
        assert 1 <= wait <= 60 and problem["retry_after_s"] == wait
    assert Funding.objects.count() == before
    # Another address, with a good key or a bad one, is not affected.
    assert _client(NEIGHBOUR, api.secret).get("/v1/payouts").status_code == 200
    assert_problem(_client(NEIGHBOUR, "sk_live_typo").get("/v1/payouts"), 401, "invalid_api_key")


@override_settings(API_AUTH_FAILURES_PER_MIN=3)
def test_successful_requests_and_missing_keys_are_not_failures(api: Api) -> None:
    api_redis.client().flushdb()
    for _ in range(5):
        assert _client(ATTACKER, api.secret).get("/v1/payouts").status_code == 200
        assert_problem(_client(ATTACKER, None).get("/v1/payouts"), 401, "not_authenticated")
    for _ in range(3):
        assert_problem(_client(ATTACKER, "sk_nope").get("/v1/payouts"), 401, "invalid_api_key")
    assert_problem(
        _client(ATTACKER, "sk_nope").get("/v1/payouts"), 429, "too_many_failed_authentications"
    )


@override_settings(API_AUTH_FAILURES_PER_MIN=0)
def test_zero_turns_the_limit_off(api: Api) -> None:
    api_redis.client().flushdb()
    for _ in range(30):
        assert_problem(_client(ATTACKER, "sk_nope").get("/v1/payouts"), 401, "invalid_api_key")
