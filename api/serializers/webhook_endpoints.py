"""Webhook endpoints: the create, update and rotate bodies and the rendered endpoint."""

from __future__ import annotations

from rest_framework import serializers

from api.fields import Text
from api.serializers.common import page_of
from api.serializers.strict import StrictSerializer
from webhooks.models import EndpointStatus
from webhooks.registry import event_types

# Read when the API's modules load, once every app has registered its types.
EVENT_TYPES = event_types()


class EndpointCreate(StrictSerializer):
    url = Text(max_length=2000, help_text="http(s) URL that receives events")
    description = Text(max_length=500, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)),
        required=False,
        max_length=len(EVENT_TYPES),
        help_text="Types to receive; empty or absent: every type",
    )


class EndpointUpdate(StrictSerializer):
    url = Text(max_length=2000, required=False)
    description = Text(max_length=500, required=False, allow_blank=True)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(EVENT_TYPES)),
        required=False,
        max_length=len(EVENT_TYPES),
    )
    status = serializers.ChoiceField(choices=EndpointStatus.choices, required=False)


class EndpointRotate(StrictSerializer):
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
    secret = serializers.CharField(
        allow_null=True,
        help_text="The signing secret: shown only in this response. A replay of it (the same "
        "Idempotency-Key) answers null, with the header `Idempotent-Redacted: secret`: the "
        "secret is never stored.",
    )


EndpointPage = page_of(EndpointOut, "WebhookEndpointPage")
