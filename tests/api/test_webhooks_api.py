"""``/v1/webhook-endpoints`` and ``/v1/events`` over the API (delivery itself is tested in
tests/payouts/test_webhooks.py with a real receiver and worker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from tests.api.conftest import Api, assert_problem
from tests.support.payouts import bank_method, earn, fund
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.com/payouts"


@pytest.fixture
def endpoint(api: Api) -> dict[str, Any]:
    response = api.post(
        "/v1/webhook-endpoints", {"url": URL, "description": "ops", "event_types": []}
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_create_shows_the_secret_once(api: Api, endpoint: dict[str, Any]) -> None:
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 30
    assert endpoint["url"] == URL and endpoint["status"] == "enabled"
    assert endpoint["event_types"] == [] and endpoint["description"] == "ops"
    shown = api.get(f"/v1/webhook-endpoints/{endpoint['id']}").json()
    assert "secret" not in shown
    assert shown == {k: v for k, v in endpoint.items() if k != "secret"}
    listed = api.get("/v1/webhook-endpoints").json()["results"]
    assert [e["id"] for e in listed] == [endpoint["id"]]


def test_update_delete_and_rotate(api: Api, endpoint: dict[str, Any]) -> None:
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    updated = api.patch(path, {"event_types": ["payout.paid"], "status": "disabled"})
    assert updated.status_code == 200, updated.content
    assert updated.json()["event_types"] == ["payout.paid"]
    assert updated.json()["status"] == "disabled"
    rotated = api.post(f"{path}/rotate-secret", {"expires_in_s": 3600})
    assert rotated.status_code == 200
    assert rotated.json()["secret"] != endpoint["secret"]
    assert rotated.json()["previous_secret_expires_at"] is not None
    assert api.delete(path).status_code == 204
    assert_problem(api.get(path), 404, "webhook_endpoint_not_found")
    assert api.get("/v1/webhook-endpoints").json()["results"] == []
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).deleted_at is not None


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({}, "validation_error", "url"),
        ({"url": "not a url"}, "invalid_url", "url"),
        ({"url": "ftp://example.com/x"}, "invalid_url", "url"),
        ({"url": URL, "event_types": ["payout.exploded"]}, "validation_error", "event_types[0]"),
        ({"url": URL, "event_types": "payout.paid"}, "validation_error", "event_types"),
        ({"url": URL, "description": "d" * 501}, "validation_error", "description"),
    ],
)
def test_create_rejects_bad_input(api: Api, body: dict[str, Any], code: str, field: str) -> None:
    assert_problem(api.post("/v1/webhook-endpoints", body), 400, code, field)
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    ("url", "detail"),
    [
        (
            "http://169.254.10.1/",
            "url's host is a link-local, shared, multicast, reserved or unspecified address, "
            "which webhooks never reach",
        ),
        (
            "http://169.254.169.254/latest/meta-data/",
            "url's host is a cloud metadata service, which webhooks never reach",
        ),
        (
            "http://metadata.google.internal/computeMetadata/v1/",
            "url's host is a cloud metadata service, which webhooks never reach",
        ),
        (
            "http://2130706433/",
            "url's host looks like an IPv4 address but is not written as four decimal numbers",
        ),
        (
            "http://127.0.0.1:6379/",
            "url's host is a loopback or private network address, which webhooks do not reach",
        ),
        (
            "http://[::1]/",
            "url's host is a loopback or private network address, which webhooks do not reach",
        ),
    ],
)
def test_create_refuses_internal_destinations(api: Api, settings, url: str, detail: str) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    body = assert_problem(
        api.post("/v1/webhook-endpoints", {"url": url}), 400, "invalid_url", "url"
    )
    assert body["detail"] == detail
    assert WebhookEndpoint.objects.count() == 0


def test_update_refuses_internal_destinations(api: Api, endpoint: dict[str, Any], settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert_problem(api.patch(path, {"url": "http://10.0.0.7/hooks"}), 400, "invalid_url", "url")
    assert api.get(path).json()["url"] == URL


@pytest.mark.parametrize(
    ("body", "field"),
    [({"expires_in_s": -1}, "expires_in_s"), ({"expires_in_s": 10**9}, "expires_in_s")],
)
def test_rotate_rejects_bad_windows(
    api: Api, endpoint: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    response = api.post(f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", body)
    assert_problem(response, 400, "validation_error", field)
    assert WebhookEndpoint.objects.get(pk=endpoint["id"]).previous_secret_encrypted == ""


def test_update_rejects_bad_status(api: Api, endpoint: dict[str, Any]) -> None:
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert_problem(api.patch(path, {"status": "paused"}), 400, "validation_error", "status")
    assert api.get(path).json()["status"] == "enabled"


@pytest.fixture
def payout_event(
    api: Api, platform: Platform, make_payee: Callable[..., Payee], endpoint: dict[str, Any]
) -> dict[str, Any]:
    payee = make_payee("evt-payee")
    method = bank_method(platform, payee)
    fund(platform, "100.00")
    earn(platform, payee, "50.00")
    body = {"payee": payee.id, "payout_method": method.id, "amount": "5.00", "currency": "USD"}
    payout = api.post("/v1/payouts", body).json()
    events = api.get("/v1/events", {"type": "payout.created"}).json()["results"]
    assert len(events) == 1
    return {"payout": payout, "event": events[0]}


def test_events_list_retrieve_and_redeliver(
    api: Api, payout_event: dict[str, Any], endpoint: dict[str, Any]
) -> None:
    event, payout = payout_event["event"], payout_event["payout"]
    assert event["object_type"] == "payout" and event["object_id"] == payout["id"]
    assert event["sequence"] == 1
    assert event["data"]["id"] == payout["id"] and event["data"]["amount"] == "5.00"
    assert api.get(f"/v1/events/{event['id']}").json() == event
    by_object = api.get("/v1/events", {"object_id": payout["id"]}).json()["results"]
    assert event["id"] in [e["id"] for e in by_object]
    before = WebhookDelivery.objects.filter(event_id=event["id"]).count()
    again = api.post(f"/v1/events/{event['id']}/redeliver", {})
    assert again.status_code == 202, again.content
    [delivery] = again.json()["results"]
    assert delivery["endpoint"] == endpoint["id"] and delivery["is_redelivery"] is True
    assert WebhookDelivery.objects.filter(event_id=event["id"]).count() == before + 1


def test_event_filters_are_validated(api: Api) -> None:
    assert_problem(api.get("/v1/events", {"type": "nope"}), 400, "validation_error", "type")
    assert_problem(
        api.get("/v1/events", {"created_gte": "soon"}), 400, "validation_error", "created_gte"
    )


def test_scope_and_other_platforms(
    api: Api,
    other_api: Api,
    scoped_api: Callable[[list[str]], Api],
    payout_event: dict[str, Any],
    endpoint: dict[str, Any],
) -> None:
    no_webhooks = scoped_api(["payouts"])
    assert_problem(no_webhooks.get("/v1/events"), 403, "insufficient_scope")
    assert_problem(no_webhooks.get("/v1/webhook-endpoints"), 403, "insufficient_scope")
    event_id, endpoint_id = payout_event["event"]["id"], endpoint["id"]
    path = f"/v1/webhook-endpoints/{endpoint_id}"
    deliveries = WebhookDelivery.objects.count()
    assert_problem(other_api.get(path), 404, "webhook_endpoint_not_found")
    assert_problem(other_api.patch(path, {"status": "disabled"}), 404, "webhook_endpoint_not_found")
    assert_problem(other_api.delete(path), 404, "webhook_endpoint_not_found")
    assert_problem(other_api.post(f"{path}/rotate-secret", {}), 404, "webhook_endpoint_not_found")
    assert_problem(other_api.get(f"/v1/events/{event_id}"), 404, "event_not_found")
    assert_problem(other_api.post(f"/v1/events/{event_id}/redeliver", {}), 404, "event_not_found")
    assert other_api.get("/v1/events").json()["results"] == []
    assert other_api.get("/v1/webhook-endpoints").json()["results"] == []
    assert api.get(path).json()["status"] == "enabled"
    assert WebhookDelivery.objects.count() == deliveries
    assert Event.objects.filter(platform=other_api.platform).count() == 0


def test_create_past_the_endpoint_limit_is_refused(api: Api, settings) -> None:
    settings.WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM = 2
    for i in range(2):
        assert api.post("/v1/webhook-endpoints", {"url": f"{URL}/{i}"}).status_code == 201
    body = assert_problem(
        api.post("/v1/webhook-endpoints", {"url": f"{URL}/2"}),
        422,
        "webhook_endpoint_limit_reached",
    )
    assert body["detail"] == "a platform has at most 2 webhook endpoints; delete one first"
    assert body["details"] == {"limit": 2}
    assert WebhookEndpoint.objects.count() == 2


def test_redelivery_past_the_rate_limit_is_a_429(
    api: Api, payout_event: dict[str, Any], settings
) -> None:
    settings.WEBHOOK_REDELIVERIES_PER_MINUTE = 1
    path = f"/v1/events/{payout_event['event']['id']}/redeliver"
    assert api.post(path, {}).status_code == 202
    key = "redeliver-again"
    refused = api.post(path, {}, key=key)
    body = assert_problem(refused, 429, "redelivery_rate_limited")
    assert body["detail"] == "too many redeliveries: at most 1 a minute, and 1 in the last minute"
    assert 1 <= body["retry_after_s"] <= 60
    assert refused["Retry-After"] == str(body["retry_after_s"])
    assert WebhookDelivery.objects.filter(is_redelivery=True).count() == 1
    # A refusal for now is not kept for its Idempotency-Key: the same key may try again.
    WebhookDelivery.objects.update(created=timezone.now() - dt.timedelta(seconds=61))
    assert api.post(path, {}, key=key).status_code == 202
