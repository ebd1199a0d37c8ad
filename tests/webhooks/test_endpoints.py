"""Webhook endpoints: URL and event type validation, updates, secrets kept encrypted, and
platform scoping."""

from __future__ import annotations

import pytest

from core.errors import InvalidInput
from tests.factories import PlatformFactory
from webhooks import endpoints as webhooks
from webhooks import selectors
from webhooks.errors import InvalidUrl, UnknownEventType, WebhookEndpointNotFound
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "not a url",
        "ftp://example.com/hooks",
        "javascript:alert(1)",
        "http://",
        "https:///path",
        "http://user:pw@example.com/hooks",
        "http://example.com:99999/hooks",
        "http://example.com:port/hooks",
        "http://exa mple.com/hooks",
        "http://example.com/hooks#frag",
        "http://-bad-.example.com/",
        "http://exämple.com/",
        "https://example.com/" + "a" * 2000,
        None,
        42,
    ],
)
def test_bad_urls_are_refused(platform, url) -> None:
    with pytest.raises(InvalidUrl) as caught:
        webhooks.endpoint_create(platform=platform, url=url)
    assert (caught.value.code, caught.value.details["field"]) == ("invalid_url", "url")
    assert not WebhookEndpoint.objects.exists()


def test_endpoint_create_update_and_scope(platform) -> None:
    for url in ("https://example.com/hooks?x=1", "http://127.0.0.1:8000/h", "http://[::1]:8080/"):
        endpoint, secret = webhooks.endpoint_create(platform=platform, url=f"  {url} ")
        assert endpoint.url == url
        assert secret not in endpoint.secret_encrypted
        assert webhooks.endpoint_secrets(endpoint) == [secret]
    endpoint, _ = webhooks.endpoint_create(
        platform=platform,
        url="https://example.com/a",
        description="ops",
        event_types=["payout.paid", "payout.failed", "payout.paid"],
    )
    assert endpoint.event_types == ["payout.failed", "payout.paid"]
    with pytest.raises(UnknownEventType) as caught:
        webhooks.endpoint_create(platform=platform, url="https://e.com", event_types=["nope"])
    assert caught.value.details == {"field": "event_types", "unknown": ["nope"]}
    with pytest.raises(InvalidInput):
        webhooks.endpoint_create(platform=platform, url="https://e.com", event_types="payout.paid")
    with pytest.raises(InvalidInput):
        webhooks.endpoint_create(platform=platform, url="https://e.com", description="x" * 501)
    updated = webhooks.endpoint_update(
        platform=platform, endpoint_id=endpoint.id, url="https://example.com/b", event_types=[]
    )
    assert (updated.url, updated.event_types, updated.description) == (
        "https://example.com/b",
        [],
        "ops",
    )
    with pytest.raises(InvalidInput):
        webhooks.endpoint_update(platform=platform, endpoint_id=endpoint.id, status="paused")
    other = PlatformFactory.create(currencies=["USD"])
    with pytest.raises(WebhookEndpointNotFound):
        selectors.endpoint_get(platform=other, endpoint_id=endpoint.id)
    with pytest.raises(WebhookEndpointNotFound):
        webhooks.endpoint_delete(platform=other, endpoint_id=endpoint.id)
    assert selectors.endpoint_get(platform=platform, endpoint_id=endpoint.id).url.endswith("/b")
