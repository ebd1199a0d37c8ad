"""How much a platform may ask of the webhooks: endpoints (every event goes to each of them) and
redeliveries (each goes to every endpoint again), so that one platform cannot multiply its events
into our workers' whole capacity.

Both are counted under a lock on the platform's row, taken by ``platform_lock`` in the caller's
transaction, so requests that arrive at once are counted one after the other and cannot pass the
limit together (check, then act, under the lock).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import cast

from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.utils import timezone

from core.db.names import table
from webhooks.errors import RedeliveryRateLimited, WebhookEndpointLimitReached
from webhooks.models import WebhookDelivery, WebhookEndpoint

REDELIVERY_WINDOW = dt.timedelta(minutes=1)


def platform_lock(platform_id: int) -> None:
    """Lock the platform's row (``FOR NO KEY UPDATE``) until the caller's transaction ends.
    Rows that only refer to the platform (a new payout, an event) do not wait for it."""
    assert connection.in_atomic_block, "the lock is the caller's transaction's"
    # The platform's model, named by the endpoint's foreign key: this app imports no other.
    platform_model = cast("type[Model]", WebhookEndpoint._meta.get_field("platform").related_model)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {table(platform_model)} WHERE id = %s FOR NO KEY UPDATE",
            [platform_id],
        )


def endpoint_room_check(platform_id: int) -> None:
    """Raises ``WebhookEndpointLimitReached`` when the platform has as many live (not deleted)
    endpoints, enabled or not, as ``WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM``. Under
    ``platform_lock``."""
    limit = int(settings.WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM)
    live = WebhookEndpoint.objects.filter(platform_id=platform_id, deleted_at__isnull=True)
    if live.count() >= limit:
        raise WebhookEndpointLimitReached(
            f"a platform has at most {limit} webhook endpoints; delete one first", limit=limit
        )


def redeliveries_check(platform_id: int, count: int) -> None:
    """Raises ``RedeliveryRateLimited`` (with ``retry_after_s``) when ``count`` more redelivered
    deliveries would make more than ``WEBHOOK_REDELIVERIES_PER_MINUTE`` (0: no limit) for the
    platform within the last minute. Under ``platform_lock``."""
    limit = int(settings.WEBHOOK_REDELIVERIES_PER_MINUTE)
    if not limit or not count:
        return
    now = timezone.now()
    recent = list(
        WebhookDelivery.objects.filter(
            endpoint__platform_id=platform_id,
            is_redelivery=True,
            created__gt=now - REDELIVERY_WINDOW,
        )
        .order_by("created")
        .values_list("created", flat=True)
    )
    if len(recent) + count <= limit:
        return
    # Room comes back as the oldest of them leave the window (never, for more than the limit
    # at once: a minute, and the platform asks for fewer).
    leaving = len(recent) + count - limit
    wait_s = 60
    if leaving <= len(recent):
        opens = recent[leaving - 1] + REDELIVERY_WINDOW
        wait_s = max(1, math.ceil((opens - now).total_seconds()))
    raise RedeliveryRateLimited(
        f"too many redeliveries: at most {limit} a minute, and {len(recent)} in the last minute",
        retry_after_s=wait_s,
        limit=limit,
    )
