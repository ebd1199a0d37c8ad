"""``/callbacks/sandbox`` refuses what it cannot trust before it stores anything: a signature
header it cannot parse, or a body larger than any callback batch. Anyone can reach this view, so
none of it may be a 500. (Callbacks that are signed and applied: execution/test_callbacks.py.)"""

from __future__ import annotations

import time

import pytest
from django.test import Client

from payouts.execution.models import ProviderEvent
from tests.support.http import CountingInput

pytestmark = pytest.mark.django_db

PATH = "/callbacks/sandbox"
BODY = b'{"events": []}'


@pytest.mark.parametrize(
    "timestamp",
    ["9" * 5000, "1" + "0" * 4300, str(int(time.time())) + "0" * 40],
    ids=["5000 digits", "4301 digits", "44 digits"],
)
def test_a_callback_timestamp_thousands_of_digits_long_is_401(timestamp: str) -> None:
    response = Client().post(
        PATH,
        BODY,
        content_type="application/json",
        headers={"Sandbox-Signature": f"t={timestamp},v1={'0' * 64}"},
    )
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "invalid_signature"
    assert ProviderEvent.objects.count() == 0


def test_a_callback_body_over_the_limit_is_413_before_it_is_read() -> None:
    limit = 5 * 1024 * 1024  # the limit of every request body (docs/api.md)
    stream = CountingInput(b"x" * (limit + 1))
    response = Client().generic(
        "POST",
        PATH,
        **{"wsgi.input": stream, "CONTENT_LENGTH": str(limit + 1)},
    )
    assert response.status_code == 413, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "request_too_large"
    assert stream.bytes_read == 0
    assert ProviderEvent.objects.count() == 0
