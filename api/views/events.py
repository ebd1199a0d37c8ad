"""``/v1/events``: what happened, and sending it again."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.idempotency import header_parameter, idempotent
from api.serializers.events import (
    DeliveryList,
    EventFilters,
    EventOut,
    EventPage,
    Redeliver,
    delivery_data,
    event_data,
)
from webhooks.endpoints import event_redeliver
from webhooks.selectors import event_get, event_list

EVENT_TAGS = ["Events"]


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
        filters = self.query(EventFilters)
        return self.page(event_list(platform_id=self.platform.id, **filters), event_data)


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
        "fresh retry window. A platform gets at most 120 redelivered deliveries a minute (by "
        "default): past that, a 429 `redelivery_rate_limited` with Retry-After, and nothing is "
        "sent.",
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
