"""Reads of endpoints and events, each scoped to one platform."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model, QuerySet

from core.db.lookup import narrowed, one_of
from webhooks.errors import EventNotFound, WebhookEndpointNotFound
from webhooks.models import Event, WebhookEndpoint


def endpoint_get(*, platform: Model, endpoint_id: object) -> WebhookEndpoint:
    """A live (not deleted) endpoint of this platform. Raises ``WebhookEndpointNotFound``, also
    for another platform's endpoint and for a deleted one."""
    return endpoint_find(platform, endpoint_id, lock=False)


def endpoint_find(platform: Model, endpoint_id: object, *, lock: bool) -> WebhookEndpoint:
    """``endpoint_get``, optionally locking the row (``FOR NO KEY UPDATE``) for a change."""
    query = WebhookEndpoint.objects.filter(platform_id=platform.pk, deleted_at__isnull=True)
    if lock:
        query = query.select_for_update(no_key=True)
    return one_of(
        query,
        endpoint_id,
        error=WebhookEndpointNotFound,
        what="webhook endpoint",
        field="webhook_endpoint",
    )


def endpoint_list(*, platform_id: int) -> QuerySet[WebhookEndpoint]:
    """A platform's live (not deleted) endpoints."""
    return WebhookEndpoint.objects.filter(platform_id=platform_id, deleted_at__isnull=True)


def event_list(
    *,
    platform_id: int,
    type: str | None = None,
    object_id: int | None = None,
    created_gte: dt.datetime | None = None,
    created_lte: dt.datetime | None = None,
) -> QuerySet[Event]:
    """A platform's events, narrowed by whichever filters are given."""
    return narrowed(
        Event.objects.filter(platform_id=platform_id),
        type=type,
        object_id=object_id,
        created__gte=created_gte,
        created__lte=created_lte,
    )


def event_get(*, platform: Model, event_id: object) -> Event:
    """An event of this platform. Raises ``EventNotFound``, also for another platform's."""
    events = Event.objects.filter(platform_id=platform.pk)
    return one_of(events, event_id, error=EventNotFound, what="event", field="event")
