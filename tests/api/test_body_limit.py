"""Every request body is bounded: a declared length over the limit is refused before a byte is
read, and a body of unknown length (chunked) is read no further than the limit and one byte.
The request's input stream is the server's side of the socket; here it is an in-memory stream
that counts what the application read from it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from api.models import IdempotencyKey
from payouts.lifecycle.models import Payout
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from tests.api.conftest import Api, assert_problem
from tests.support.http import CountingInput
from webhooks.endpoints import endpoint_create
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

# The documented limit (docs/api.md): 5 MB, what a batch's CSV may be.
MAX_BODY_BYTES = 5 * 1024 * 1024


def _json_of_size(size: int) -> bytes:
    """A JSON object of exactly ``size`` bytes (a long name), so only its size is wrong."""
    head = b'{"name": "'
    tail = b'"}'
    return head + b"A" * (size - len(head) - len(tail)) + tail


def _send(
    api: Api, method: str, path: str, body: bytes, *, length: bool = True, key: str | None = None
) -> tuple[Any, CountingInput]:
    stream = CountingInput(body)
    extra: dict[str, object] = {
        "wsgi.input": stream,
        "CONTENT_TYPE": "application/json",
        "HTTP_AUTHORIZATION": f"Bearer {api.secret}",
    }
    if length:
        extra["CONTENT_LENGTH"] = str(len(body))
    else:
        # A chunked body: no length, and the server says the stream ends where the body does.
        extra["wsgi.input_terminated"] = True
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    response = Client().generic(method, path, **extra)
    return response, stream


def _world(platform: Platform) -> tuple[object, ...]:
    return (
        list(Payee.objects.filter(platform=platform).values_list("id", "legal_name", "updated")),
        list(WebhookEndpoint.objects.filter(platform=platform).values_list("id", "updated")),
        PayoutMethod.objects.filter(payee__platform=platform).count(),
        Payout.objects.filter(platform=platform).count(),
        IdempotencyKey.objects.filter(platform=platform).count(),
    )


@pytest.mark.parametrize(
    ("method", "path", "key"),
    [
        ("PATCH", "/v1/payees/{payee}", None),
        ("PATCH", "/v1/webhook-endpoints/{endpoint}", None),
        ("POST", "/v1/payees", None),
        ("POST", "/v1/webhook-endpoints", None),
        ("POST", "/v1/payees/{payee}/payout-methods", None),
        ("POST", "/v1/payees", "with-a-key"),
        ("POST", "/v1/payouts", "with-a-key"),
    ],
)
def test_a_patch_or_a_post_over_the_body_limit_is_413_before_it_is_read(
    api: Api, platform: Platform, payee: Payee, method: str, path: str, key: str | None
) -> None:
    """With or without an Idempotency-Key (which reads the body to hash it): nothing is read,
    nothing is written, and no key is kept."""
    endpoint, _ = endpoint_create(platform=platform, url="https://example.com/hooks")
    before = _world(platform)
    body = _json_of_size(MAX_BODY_BYTES + 1)
    path = path.format(payee=payee.id, endpoint=endpoint.id)
    response, stream = _send(api, method, path, body, key=key)
    problem = assert_problem(response, 413, "request_too_large")
    assert problem["detail"] == "a request body is at most 5 MB"
    assert stream.bytes_read == 0
    assert _world(platform) == before


def test_a_body_of_unknown_length_is_read_only_up_to_the_limit(
    api: Api, platform: Platform, payee: Payee
) -> None:
    before = _world(platform)
    body = _json_of_size(MAX_BODY_BYTES + 1024 * 1024)
    response, stream = _send(api, "PATCH", f"/v1/payees/{payee.id}", body, length=False)
    assert_problem(response, 413, "request_too_large")
    assert stream.bytes_read == MAX_BODY_BYTES + 1
    assert _world(platform) == before


def test_a_body_of_unknown_length_within_the_limit_is_read_whole(
    api: Api, platform: Platform, payee: Payee
) -> None:
    body = json.dumps({"name": "Ada King"}).encode()
    response, stream = _send(api, "PATCH", f"/v1/payees/{payee.id}", body, length=False)
    assert response.status_code == 200, response.content
    assert stream.bytes_read == len(body)
    assert Payee.objects.get(pk=payee.pk).legal_name == "Ada King"
