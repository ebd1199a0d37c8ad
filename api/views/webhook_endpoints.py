"""``/v1/webhook-endpoints``: where events go."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.idempotency import header_parameter, idempotent
from api.serializers.webhook_endpoints import (
    EndpointCreate,
    EndpointOut,
    EndpointPage,
    EndpointRotate,
    EndpointUpdate,
    EndpointWithSecret,
)
from webhooks.endpoints import (
    endpoint_create,
    endpoint_data,
    endpoint_delete,
    endpoint_secret_rotate,
    endpoint_update,
)
from webhooks.selectors import endpoint_get, endpoint_list

ENDPOINT_TAGS = ["Webhook endpoints"]
# Shown once: never stored with the Idempotency-Key, so a replay answers it as null.
SECRET_FIELDS = ("secret",)


class EndpointsView(PlatformView):
    scope = "webhooks"

    @extend_schema(
        tags=ENDPOINT_TAGS,
        operation_id="webhook_endpoints_create",
        summary="Register a webhook endpoint",
        description="Returns the signing secret once. Deliveries carry "
        '`Payouts-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`. A platform has at '
        "most 16 endpoints (by default; 422 `webhook_endpoint_limit_reached`), and a URL must "
        "reach a public address (400 `invalid_url`).",
        request=EndpointCreate,
        parameters=[header_parameter(required=False)],
        responses={201: EndpointWithSecret},
    )
    @idempotent(required=False, secret_fields=SECRET_FIELDS)
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
        return self.page(endpoint_list(platform_id=self.platform.id), endpoint_data)


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
    @idempotent(required=False, secret_fields=SECRET_FIELDS)
    def post(self, request: Request, endpoint_id: int) -> Response:
        data = self.parse(EndpointRotate, request.data)
        secret = endpoint_secret_rotate(
            platform=self.platform, endpoint_id=endpoint_id, expires_in_s=data["expires_in_s"]
        )
        endpoint = endpoint_get(platform=self.platform, endpoint_id=endpoint_id)
        return Response({**endpoint_data(endpoint), "secret": secret})
