"""Conventions every endpoint shares: auth, scopes, problems, request ids, rate limits."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from api import redis as api_redis
from payouts.lifecycle.models import Payout
from payouts.platforms.models import ApiKey
from payouts.platforms.services import api_key_revoke
from tests.api.conftest import Api, assert_problem

pytestmark = pytest.mark.django_db


def test_no_key_is_401_with_a_bearer_challenge() -> None:
    response = Client().get("/v1/payouts")
    body = assert_problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == 'Bearer realm="payouts"'
    assert body["instance"] == "/v1/payouts"


@pytest.mark.parametrize(
    "header",
    ["Bearer sk_nope", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "Bearer sk_\u00e9\u00e9"],
)
def test_malformed_or_unknown_key_is_401(header: str) -> None:
    response = Client().get("/v1/payouts", headers={"Authorization": header})
    assert_problem(response, 401, "invalid_api_key")


def test_revoked_key_is_401(api: Api) -> None:
    assert api.get("/v1/payouts").status_code == 200
    api_key_revoke(prefix=api.secret[:15])
    assert_problem(api.get("/v1/payouts"), 401, "invalid_api_key")


def test_key_without_the_scope_is_403(scoped_api: object) -> None:
    ledger_only = scoped_api(["ledger"])  # type: ignore[operator]
    assert_problem(ledger_only.get("/v1/payouts"), 403, "insufficient_scope")
    assert_problem(ledger_only.post("/v1/fundings", {}), 403, "insufficient_scope")
    assert Payout.objects.count() == 0


def test_every_response_has_a_request_id(api: Api) -> None:
    ours = api.get("/v1/payouts")
    assert ours["X-Request-Id"].startswith("req_") and len(ours["X-Request-Id"]) == 36
    theirs = api.get("/v1/payouts", **{"X-Request-Id": "client-chosen-id-123"})
    assert theirs["X-Request-Id"] == "client-chosen-id-123"
    junk = api.get("/v1/payouts", **{"X-Request-Id": "bad id with spaces"})
    assert junk["X-Request-Id"].startswith("req_")
    assert Client().get("/healthz")["X-Request-Id"].startswith("req_")


def test_request_id_is_logged(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="payouts.api.access"):
        response = api.get("/v1/payouts", **{"X-Request-Id": "trace-me-please-1"})
    lines = [r.getMessage() for r in caplog.records if r.name == "payouts.api.access"]
    assert lines == [
        line for line in lines if "request_id=trace-me-please-1" in line and "GET /v1/payouts 200"
    ]
    assert len(lines) == 1 and response.status_code == 200


def test_unknown_path_is_a_problem_not_html(api: Api) -> None:
    assert_problem(api.get("/v1/nothing-here"), 404, "not_found")
    assert_problem(api.get("/v1/payouts/99999999999999999999"), 404, "not_found")
    assert_problem(api.get("/v1/payouts/0"), 404, "not_found")


@pytest.mark.parametrize(
    "raw",
    ['{"amount": ', "[1, 2]", '"text"', "null", '{"amount": NaN}', "\x00", "{}{}"],
)
def test_bodies_of_any_shape_are_400_never_500(api: Api, raw: str) -> None:
    response = api.post("/v1/fundings", raw=raw)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"


def test_wrong_media_type_is_415(api: Api) -> None:
    response = api.post("/v1/fundings", raw="amount=1", content_type="text/plain")
    assert_problem(response, 415, "unsupported_media_type")


def test_method_not_allowed_is_405(api: Api) -> None:
    assert_problem(api.delete("/v1/payouts"), 405, "method_not_allowed")


def test_not_acceptable_is_406(api: Api) -> None:
    response = api.get("/v1/payouts", Accept="application/xml")
    assert_problem(response, 406, "not_acceptable")


@override_settings(API_RATE_LIMIT_PER_S=3)
def test_rate_limit_per_key_is_429_with_retry_after(api: Api, other_api: Api) -> None:
    """Each request's place in its one-second window is read from the window's counter in Redis,
    so the expected status of every request is exact however the requests fall across seconds:
    the first 3 of a window pass, the rest are 429."""
    redis = api_redis.client()
    redis.flushdb()
    key_id = ApiKey.objects.get(platform=api.platform).id
    limited = 0
    for _ in range(50):
        response = api.get("/v1/payouts")
        windows = {int(k.rsplit(b":", 1)[1]): k for k in redis.keys(f"ratelimit:{key_id}:*")}
        # Windows only move forward: this request was counted in the latest one.
        place = int(redis.get(windows[max(windows)]))
        if place <= 3:
            assert response.status_code == 200, (place, response.content)
            continue
        body = assert_problem(response, 429, "rate_limited")
        assert response["Retry-After"] == "1" and body["retry_after_s"] == 1
        limited += 1
        if limited == 3:
            break
    assert limited == 3
    # The limit is per key: another key is not affected.
    assert other_api.get("/v1/payouts").status_code == 200


def test_schema_and_docs_are_served() -> None:
    schema = Client().get("/api/schema/", headers={"Accept": "application/json"})
    assert schema.status_code == 200
    doc = schema.json()
    assert doc["openapi"].startswith("3.")
    assert "/v1/payouts" in doc["paths"]
    assert doc["components"]["securitySchemes"]["ApiKey"]["scheme"] == "bearer"
    assert Client().get("/api/docs/").status_code == 200
