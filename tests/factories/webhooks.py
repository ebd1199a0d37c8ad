"""factory_boy factories for the webhooks objects, built through their services."""

from __future__ import annotations

from typing import Any

import factory

from tests.factories.payouts import PlatformFactory
from webhooks.endpoints import endpoint_create
from webhooks.models import WebhookEndpoint


class WebhookEndpointFactory(factory.Factory):
    """``endpoint_create``: an enabled endpoint for every event type (its secret:
    ``webhooks.endpoints.endpoint_secrets(endpoint)``)."""

    class Meta:
        model = WebhookEndpoint

    platform = factory.SubFactory(PlatformFactory)
    url = "https://receiver.example.com/hooks"
    description = ""
    event_types = ()

    @classmethod
    def _create(cls, model_class: type, *args: object, **kwargs: Any) -> WebhookEndpoint:
        endpoint, _secret = endpoint_create(**kwargs)
        return endpoint
