"""Webhooks in the Django admin: endpoints (never their secrets), events, and deliveries with
every attempt. Read-only; the actions call services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from webhooks import endpoints as webhooks
from webhooks.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ("url", "platform", "status", "consecutive_failures", "event_types", "created")
    list_filter = ("status",)
    search_fields = ("url", "description")
    exclude = ("secret_encrypted", "previous_secret_encrypted")
    actions = ["enable"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("webhooks.change_webhookendpoint"))

    @admin.action(description="Enable (resumes paused deliveries)", permissions=["change"])
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset.select_related("platform"):
            try:
                webhooks.endpoint_update(
                    platform=endpoint.platform, endpoint_id=endpoint.id, status="enabled"
                )
            except DomainError as exc:
                self.message_user(request, f"{endpoint}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{endpoint} enabled")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Viewed, never edited: even with the change permission (for the action).
        return [f.name for f in WebhookEndpoint._meta.fields if f.name not in self.exclude]


class DeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = ("endpoint", "status", "attempts", "last_status_code", "last_error", "delivered_at")


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "type", "object_type", "object_id", "sequence", "platform", "created")
    list_filter = ("type",)
    search_fields = ("object_id",)
    inlines = [DeliveryInline]
    actions = ["redeliver"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.has_perm("payouts.change_event"))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Event._meta.fields]

    @admin.action(description="Redeliver to the platform's endpoints", permissions=["change"])
    def redeliver(self, request: HttpRequest, queryset: QuerySet[Event]) -> None:
        for event in queryset.select_related("platform"):
            try:
                sent = webhooks.event_redeliver(platform=event.platform, event_id=event.id)
            except DomainError as exc:
                self.message_user(request, f"event {event.id}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"event {event.id}: {len(sent)} new deliveries")


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ("number", "at", "status_code", "latency_ms", "error", "response_excerpt")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "next_attempt_at",
        "is_redelivery",
    )
    list_filter = ("status", "is_redelivery")
    inlines = [AttemptInline]
