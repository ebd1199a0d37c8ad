"""The webhook admin pages: they render, never show a secret, and their actions call services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from api.models import IdempotencyKey
from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from tests.support.events import fanned_out
from tests.support.payouts import bank_method, earn, fund, pay
from webhooks.endpoints import endpoint_create, endpoint_update
from webhooks.models import Event, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivered(platform: Platform, make_payee: Callable[..., Payee]) -> dict[str, Any]:
    endpoint, secret = endpoint_create(platform=platform, url="https://hooks.example.com/x")
    payee = make_payee()
    method = bank_method(platform, payee)
    fund(platform, "100.00")
    earn(platform, payee, "50.00")
    payout = pay(platform, payee, method, "10.00")
    fanned_out()
    event = Event.objects.get(object_type="payout", object_id=payout.id)
    return {"endpoint": endpoint, "secret": secret, "event": event}


def test_pages_render_without_secrets(admin_client: Any, delivered: dict[str, Any]) -> None:
    endpoint, event = delivered["endpoint"], delivered["event"]
    delivery = WebhookDelivery.objects.get(event=event)
    IdempotencyKey.objects.create(
        platform=endpoint.platform,
        key="k-1",
        method="POST",
        path="/v1/payouts",
        request_hash="x" * 64,
        response_status=201,
    )
    for path in (
        "/admin/webhooks/webhookendpoint/",
        f"/admin/webhooks/webhookendpoint/{endpoint.id}/change/",
        "/admin/webhooks/event/",
        f"/admin/webhooks/event/{event.id}/change/",
        "/admin/webhooks/webhookdelivery/",
        f"/admin/webhooks/webhookdelivery/{delivery.id}/change/",
        "/admin/api/idempotencykey/",
    ):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        page = response.content.decode()
        assert delivered["secret"] not in page
        assert endpoint.secret_encrypted not in page


def test_enable_action_calls_the_service(admin_client: Any, delivered: dict[str, Any]) -> None:
    endpoint: WebhookEndpoint = delivered["endpoint"]
    endpoint_update(platform=endpoint.platform, endpoint_id=endpoint.id, status="disabled")
    response = admin_client.post(
        "/admin/webhooks/webhookendpoint/",
        {"action": "enable", "_selected_action": [endpoint.id]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.status == "enabled"


def test_redeliver_action_makes_a_new_delivery(
    admin_client: Any, delivered: dict[str, Any]
) -> None:
    event: Event = delivered["event"]
    assert WebhookDelivery.objects.filter(event=event).count() == 1
    response = admin_client.post(
        "/admin/webhooks/event/", {"action": "redeliver", "_selected_action": [event.id]}
    )
    assert response.status_code == 302
    deliveries = WebhookDelivery.objects.filter(event=event).order_by("id")
    assert [d.is_redelivery for d in deliveries] == [False, True]
