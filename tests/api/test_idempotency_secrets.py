"""A response that shows a secret once is never stored with it: the idempotency key keeps the
body with each secret field redacted, and a replay answers that body with ``"secret": null`` and
``Idempotent-Redacted: secret``. Checked in the table itself (raw SQL) and on the admin page."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.db import connection
from django.test import Client
from django.urls import reverse

from api.models import IdempotencyKey
from tests.api.conftest import Api

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/payouts"


def rows_holding(text: str) -> int:
    """How many idempotency rows hold ``text`` anywhere (any column, as the table stores it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM payouts_idempotencykey AS k WHERE strpos(k::text, %s) > 0",
            [text],
        )
        (count,) = cursor.fetchone()
    return int(count)


def _shown_once(first: Any, again: Any) -> None:
    """``again`` replays ``first`` with the secret redacted, and says so."""
    assert again.status_code == first.status_code
    assert again["Idempotent-Replayed"] == "true"
    assert again["Idempotent-Redacted"] == "secret"
    assert "Idempotent-Redacted" not in first
    assert again.json() == {**first.json(), "secret": None}


def test_an_endpoints_secret_is_never_stored_with_its_idempotency_key(api: Api) -> None:
    body = {"url": URL, "description": "ops"}
    first = api.post("/v1/webhook-endpoints", body, key="endpoint-1")
    assert first.status_code == 201, first.content
    secret = first.json()["secret"]
    assert secret.startswith("whsec_")
    assert IdempotencyKey.objects.filter(key="endpoint-1").exists()
    assert rows_holding(secret) == 0
    assert rows_holding(secret.removeprefix("whsec_")) == 0

    again = api.post("/v1/webhook-endpoints", body, key="endpoint-1")
    _shown_once(first, again)
    assert again["Location"] == first["Location"]


def test_a_rotated_secret_is_never_stored_with_its_idempotency_key(api: Api) -> None:
    endpoint = api.post("/v1/webhook-endpoints", {"url": URL}).json()
    path = f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"
    first = api.post(path, {"expires_in_s": 60}, key="rotate-1")
    assert first.status_code == 200, first.content
    secret = first.json()["secret"]
    assert secret != endpoint["secret"]
    assert rows_holding(secret) == 0 and rows_holding(secret.removeprefix("whsec_")) == 0
    _shown_once(first, api.post(path, {"expires_in_s": 60}, key="rotate-1"))


def test_the_admin_page_of_an_idempotency_key_does_not_show_the_secret(
    api: Api, admin_client: Client
) -> None:
    first = api.post("/v1/webhook-endpoints", {"url": URL}, key="endpoint-2")
    secret = first.json()["secret"]
    stored = IdempotencyKey.objects.get(key="endpoint-2")
    page = admin_client.get(reverse("admin:api_idempotencykey_change", args=[stored.id]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "endpoint-2" in html  # the page is the key's own
    assert secret not in html and secret.removeprefix("whsec_") not in html
    listing = admin_client.get(reverse("admin:api_idempotencykey_changelist"))
    assert listing.status_code == 200 and secret not in listing.content.decode()


def test_secrets_stored_before_redaction_are_redacted_by_the_migration(api: Api) -> None:
    """Keys stored in clear before (kept 30 days) get the same shape as keys stored since, and
    replay the same way; other operations' stored bodies are left alone."""
    redact = importlib.import_module("api.migrations.0002_redact_stored_secrets").redact
    body = {"url": URL}
    first = api.post("/v1/webhook-endpoints", body, key="endpoint-old")
    shown = first.json()
    as_stored_before = {"response_body": json.dumps(shown), "response_headers": {}}
    IdempotencyKey.objects.filter(key="endpoint-old").update(**as_stored_before)
    untouched = {"description": 'a "secret" payout', "secret": "not a field of ours"}
    other = IdempotencyKey.objects.create(
        platform=api.platform,
        key="payout-old",
        method="POST",
        path="/v1/payouts",
        request_hash="0" * 64,
        response_status=201,
        response_body=json.dumps(untouched),
    )
    assert rows_holding(shown["secret"]) == 1

    with connection.schema_editor() as editor:
        redact(django_apps, editor)

    assert rows_holding(shown["secret"]) == 0
    _shown_once(first, api.post("/v1/webhook-endpoints", body, key="endpoint-old"))
    other.refresh_from_db()
    assert json.loads(other.response_body) == untouched and other.response_headers == {}
