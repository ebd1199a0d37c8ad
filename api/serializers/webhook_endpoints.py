"""Webhook endpoints and events: bodies and rendered objects."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import Text, id_field
from api.serializers.common import page_of, when
from webhooks.models import EndpointStatus, Event, WebhookDelivery
from webhooks.registry import event_types

# Read when the API's modules load, once every app has registered its types.
EVENT_TYPES = event_types()


class EndpointCreate(serializers.Serializer):
    url = Text(max_length=2000, help_text="http(s) URL that receives events")
    description = Text(max_length=500, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)),
        required=False,
        max_length=len(EVENT_TYPES),
        help_text="Types to receive; empty or absent: every type",
    )


class EndpointUpdate(serializers.Serializer):
    url = Text(max_length=2000, required=False)
    description = Text(max_length=500, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)),
        required=False,
        max_length=len(EVENT_TYPES),
    )
    status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)


class EndpointRotate(serializers.Serializer):
    expires_in_s = serializers.IntegerField(
        min_value=0,
        max_value=7 * 86400,
        default=86400,
        help_text="How long the previous secret keeps signing too (0: stop at once)",
    )


class EndpointOut(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    event_types = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=EndpointStatus.choices)
    disabled_reason = serializers.CharField(allow_blank=True)
    disabled_at = serializers.DateTimeField(allow_null=True)
    previous_secret_expires_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


class EndpointWithSecret(EndpointOut):
    secret = serializers.CharField(help_text="The signing secret: shown only in this response")


EndpointPage = page_of(EndpointOut, "WebhookEndpointPage")


class EventFilters(serializers.Serializer):
    type = serializers.ChoiceField(choices=sorted(EVENT_TYPES), required=False)
    object_id = id_field(required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.IntegerField()
    sequence = serializers.IntegerField(help_text="This object's events count from 1, in order")
    # Only describes the body for the schema, so shadowing Serializer.data is harmless here.
    data = serializers.DictField(  # type: ignore[assignment]
        help_text="The object as the API showed it at that moment"
    )
    created = serializers.DateTimeField()


EventPage = page_of(EventOut, "EventPage")


def event_data(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "sequence": event.sequence,
        "data": event.data,
        "created": when(event.created),
    }


class Redeliver(serializers.Serializer):
    endpoint = id_field(required=False, help_text="Only this endpoint (default: every one)")


class DeliveryOut(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.IntegerField()
    endpoint = serializers.IntegerField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField()
    is_redelivery = serializers.BooleanField()


class DeliveryList(serializers.Serializer):
    results = DeliveryOut(many=True)


def delivery_data(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.id,
        "event": delivery.event_id,
        "endpoint": delivery.endpoint_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": when(delivery.next_attempt_at),
        "is_redelivery": delivery.is_redelivery,
    }
