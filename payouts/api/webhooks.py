"""``/v1/webhook-endpoints`` and ``/v1/events``: where events go, and what happened."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from payouts.api import keyset
from payouts.api.base import PlatformView
from payouts.api.idempotency import header_parameter, idempotent
from payouts.api.serializers.webhooks import (
    DeliveryList,
    EndpointCreate,
    EndpointOut,
    EndpointPage,
    EndpointRotate,
    EndpointUpdate,
    EndpointWithSecret,
    EventFilters,
    EventOut,
    EventPage,
    Redeliver,
    delivery_data,
    event_data,
)
from webhooks.endpoints import (
    endpoint_create,
    endpoint_data,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
    event_redeliver,
)
from webhooks.models import Event, WebhookEndpoint
from webhooks.selectors import endpoint_get, event_get

ENDPOINT_TAGS = ["Webhook endpoints"]
EVENT_TAGS = ["Events"]


class EndpointsView(PlatformView):
    scope = "webhooks"

    @extend_schema(
        tags=ENDPOINT_TAGS,
        operation_id="webhook_endpoints_create",
        summary="Register a webhook endpoint",
        description="Returns the signing secret once. Deliveries carry "
        '`Payouts-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`.',
        request=EndpointCreate,
        parameters=[header_parameter(required=False)],
        responses={201: EndpointWithSecret},
    )
    @idempotent(required=False)
    def post(self, request: Request) -> Response:
        data = self.parse(EndpointCreate, request.data)
        endpoint, secret = endpoint_create(
            platform=self.platform,
            url=data["url"],
            description=data.get("description", ""),
            event_types=data.get("event_types", []),
        )
        return Response(
            {**endpoint_data(endpoint), "secret": secret},
            status=201,
            headers={"Location": f"/v1/webhook-endpoints/{endpoint.id}"},
        )

    @extend_schema(
        tags=ENDPOINT_TAGS,
        operation_id="webhook_endpoints_list",
        summary="List webhook endpoints, newest first",
        parameters=keyset.parameters(),
        responses={200: EndpointPage},
    )
    def get(self, request: Request) -> Response:
        """The platform's endpoints that are not deleted, a page at a time; a disabled one says why
        and since when. Secrets are never shown again. A `cursor` or `limit` that is not valid is a
        400 naming it."""
        endpoints = WebhookEndpoint.objects.filter(
            platform_id=self.platform.id, deleted_at__isnull=True
        )
        return self.page(endpoints, endpoint_data)


class EndpointView(PlatformView):
    scope = "webhooks"

    @extend_schema(
        tags=ENDPOINT_TAGS,
        operation_id="webhook_endpoints_retrieve",
        summary="Retrieve a webhook endpoint",
        responses={200: EndpointOut},
    )
    def get(self, request: Request, endpoint_id: int) -> Response:
        """An endpoint with its status and the event types it receives (empty: all); its secret is
        never shown again. A deleted endpoint, or another platform's, is a 404
        `webhook_endpoint_not_found`."""
        return Response(
            endpoint_data(endpoint_get(platform=self.platform, endpoint_id=endpoint_id))
        )

    @extend_schema(
        tags=ENDPOINT_TAGS,
        operation_id="webhook_endpoints_update",
        summary="Update a webhook endpoint",
        description="`status: enabled` re-enables a disabled endpoint and resumes its pending "
        "deliveries at once.",
        request=EndpointUpdate,
        responses={200: EndpointOut},
    )
    def patch(self, request: Request, endpoint_id: int) -> Response:
        data = self.parse(EndpointUpdate, request.data)
        endpoint = endpoint_update(platform=self.platform, endpoint_id=endpoint_id, **data)
        return Response(endpoint_data(endpoint))

    @extend_schema(
        tags=ENDPOINT_TAGS,
        operation_id="webhook_endpoints_delete",
        summary="Delete a webhook endpoint",
        description="It receives nothing more; its delivery history is kept.",
        responses={204: None},
    )
    def delete(self, request: Request, endpoint_id: int) -> Response:
        endpoint_delete(platform=self.platform, endpoint_id=endpoint_id)
        return Response(status=204)


class EndpointRotateView(PlatformView):
    scope = "webhooks"

    @extend_schema(
        tags=ENDPOINT_TAGS,
        operation_id="webhook_endpoints_rotate_secret",
        summary="Rotate an endpoint's signing secret",
        description="Returns the new secret once. Until `previous_secret_expires_at`, every "
        "delivery is signed with both secrets (two `v1=` values), so receivers can switch "
        "without missing an event.",
        request=EndpointRotate,
        parameters=[header_parameter(required=False)],
        responses={200: EndpointWithSecret},
    )
    @idempotent(required=False)
    def post(self, request: Request, endpoint_id: int) -> Response:
        data = self.parse(EndpointRotate, request.data)
        secret = endpoint_secret_rotate(
            platform=self.platform, endpoint_id=endpoint_id, expires_in_s=data["expires_in_s"]
        )
        endpoint = endpoint_get(platform=self.platform, endpoint_id=endpoint_id)
        return Response({**endpoint_data(endpoint), "secret": secret})


class EventsView(PlatformView):
    scope = "webhooks"

    @extend_schema(
        tags=EVENT_TAGS,
        operation_id="events_list",
        summary="List events, newest first",
        parameters=[EventFilters, *keyset.parameters()],
        responses={200: EventPage},
    )
    def get(self, request: Request) -> Response:
        """The platform's events, a page at a time, narrowed by `type`, `object_id` and when they
        were recorded (`created_gte`, `created_lte`). A filter, `cursor` or `limit` that is not
        valid is a 400 naming it."""
        events = self.filtered(Event.objects.filter(platform_id=self.platform.id), EventFilters)
        return self.page(events, event_data)


class EventView(PlatformView):
    scope = "webhooks"

    @extend_schema(
        tags=EVENT_TAGS,
        operation_id="events_retrieve",
        summary="Retrieve an event",
        responses={200: EventOut},
    )
    def get(self, request: Request, event_id: int) -> Response:
        """An event with the object as the API showed it at that moment and its place in that
        object's sequence. Another platform's event is a 404 `event_not_found`, as a missing one
        is."""
        return Response(event_data(event_get(platform=self.platform, event_id=event_id)))


class EventRedeliverView(PlatformView):
    scope = "webhooks"

    @extend_schema(
        tags=EVENT_TAGS,
        operation_id="events_redeliver",
        summary="Send an event again",
        description="A new delivery to every current endpoint (or the one given), with a "
        "fresh retry window.",
        request=Redeliver,
        parameters=[header_parameter(required=False)],
        responses={202: DeliveryList},
    )
    @idempotent(required=False)
    def post(self, request: Request, event_id: int) -> Response:
        data = self.parse(Redeliver, request.data)
        deliveries = event_redeliver(
            platform=self.platform, event_id=event_id, endpoint_id=data.get("endpoint")
        )
        return Response({"results": [delivery_data(d) for d in deliveries]}, status=202)
