"""Fixtures for the API tests: a platform with an API key and a JSON client that speaks as it."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from api import redis as api_redis
from api.throttling import auth_failures_key
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from payouts.platforms.services import api_key_create, platform_create
from tests.payouts.conftest import make_payee, platform  # noqa: F401 - fixtures used here
from tests.support.payouts import bank_method, earn, fund


@dataclass
class Api:
    """A client for one platform's API key: JSON in, the response out."""

    platform: Platform
    secret: str
    client: Client

    def _headers(self, key: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {self.secret}"} if self.secret else {}
        if key is not None:
            out["Idempotency-Key"] = key
        out.update(headers or {})
        return out

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(path, params or {}, headers=self._headers(None, headers))

    def post(
        self,
        path: str,
        body: Any = None,
        *,
        key: str | None = "auto",
        raw: str | bytes | None = None,
        content_type: str = "application/json",
        **headers: str,
    ) -> Any:
        """POST ``body`` as JSON (or ``raw``). ``key="auto"`` sends a fresh Idempotency-Key;
        ``key=None`` sends none."""
        if key == "auto":
            key = uuid.uuid4().hex
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.generic(
            "POST", path, data, content_type=content_type, headers=self._headers(key, headers)
        )

    def patch(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.generic(
            "PATCH",
            path,
            json.dumps(body),
            content_type="application/json",
            headers=self._headers(None, headers),
        )

    def delete(self, path: str, **headers: str) -> Any:
        return self.client.generic("DELETE", path, headers=self._headers(None, headers))


@pytest.fixture(autouse=True)
def no_failed_authentications() -> None:
    """Each test starts with no failed authentication counted for the test client's address
    (the counter lives in Redis, from one test to the next): many tests send bad keys."""
    api_redis.client().delete(auth_failures_key("127.0.0.1"))


def api_for(owner: Platform, scopes: list[str] | None = None) -> Api:
    issued = api_key_create(platform=owner, name="tests", scopes=scopes)
    return Api(platform=owner, secret=issued.secret, client=Client())


@pytest.fixture
def api(platform: Platform) -> Api:  # noqa: F811 - the imported fixture
    """The test platform's client, with every scope."""
    return api_for(platform)


@pytest.fixture
def other_api(db: None) -> Api:
    """Another platform's client: none of the test platform's objects may be visible to it."""
    other = platform_create(name=f"Other {time.monotonic_ns()}", currencies=["USD", "EUR"])
    return api_for(other)


@pytest.fixture
def payee(platform: Platform, make_payee: Callable[..., Payee]) -> Payee:  # noqa: F811
    return make_payee("driver-17")


@pytest.fixture
def ready(platform: Platform, payee: Payee) -> dict[str, Any]:  # noqa: F811
    """A funded platform and a payee with 50.00 available and a bank account: the payee, method
    and currency of a payout body."""
    method = bank_method(platform, payee)
    fund(platform, "100.00")
    earn(platform, payee, "50.00")
    return {"payee": payee.id, "payout_method": method.id, "currency": "USD"}


@pytest.fixture
def scoped_api(platform: Platform) -> Callable[[list[str]], Api]:  # noqa: F811
    def make(scopes: list[str]) -> Api:
        return api_for(platform, scopes)

    return make


def assert_problem(response: Any, status: int, code: str, field: str | None = None) -> dict:
    """``response`` is an RFC 9457 problem with this status and code (and this field at fault)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == f"urn:payouts:problem:{code}"
    assert body["title"] and body["detail"]
    assert body["request_id"] == response["X-Request-Id"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body["errors"]
    return body
