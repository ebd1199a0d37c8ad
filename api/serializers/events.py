"""Events and their deliveries: filters, the redeliver body and the rendered objects."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import id_field
from api.serializers.common import page_of
from api.serializers.strict import StrictSerializer
from api.serializers.webhook_endpoints import EVENT_TYPES
from payouts.common.representation import when
from webhooks.models import Event, WebhookDelivery


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


class Redeliver(StrictSerializer):
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
