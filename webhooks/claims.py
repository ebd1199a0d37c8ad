"""Claiming due deliveries for a worker: a lease on each, and no more in flight per endpoint and
per platform than ``WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT`` and ``WEBHOOK_MAX_IN_FLIGHT_PER_PLATFORM``.

A delivery is in flight while it is pending and leased (``locked_until`` in the future). A claim
takes the due deliveries in the order they fell due, skipping those whose endpoint or platform
has its fill in flight already, so a slow receiver (whose deliveries stay in flight up to the
deadline) or a platform with a large backlog holds a bounded share of the workers, and the other
platforms' deliveries are claimed beside theirs. The skipped ones stay due: a later claim (a
``webhooks.deliver`` of theirs, or the sweep) takes them once there is room.

Claims count what is in flight and then lease, so two at once could both see room: they are
serialized by a transaction-level advisory lock (a claim is one short transaction), and the rows
themselves are still taken ``FOR UPDATE SKIP LOCKED`` (an attempt being recorded holds its row).
"""

from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.db.names import table
from webhooks.models import DeliveryStatus, EndpointStatus, WebhookDelivery, WebhookEndpoint

CLAIM_LIMIT = 64
LEASE_MARGIN_S = 30
# The advisory lock that serializes claims (an arbitrary constant, the same in every worker).
CLAIM_LOCK = 0x77656268  # "webh"


def lease(count: int) -> dt.timedelta:
    """Long enough to POST ``count`` deliveries on our threads, each taking its whole deadline,
    and record them: past it the delivery may be claimed and sent again (at least once)."""
    rounds = math.ceil(count / max(1, int(settings.WEBHOOK_CONCURRENCY)))
    return dt.timedelta(
        seconds=rounds * float(settings.WEBHOOK_DELIVERY_DEADLINE_S) + LEASE_MARGIN_S
    )


def deliveries_claim(
    *, limit: int = CLAIM_LIMIT, delivery_ids: list[int] | None = None
) -> list[int]:
    """Lease up to ``limit`` deliveries that are pending, due, not leased and whose endpoint is
    enabled and live (only among ``delivery_ids`` when given), oldest due first, within the
    caps on deliveries in flight. One short transaction; returns their ids."""
    now = timezone.now()
    among = "AND d.id = ANY(%(ids)s)" if delivery_ids is not None else ""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CLAIM_LOCK])
        # Hand-written: the caps are window functions over the due deliveries and those in
        # flight, which the ORM cannot say.
        cursor.execute(
            f"""
            WITH in_flight AS (
                SELECT d.endpoint_id, e.platform_id, count(*) AS n
                  FROM {table(WebhookDelivery)} d
                  JOIN {table(WebhookEndpoint)} e ON e.id = d.endpoint_id
                 WHERE d.status = %(pending)s AND d.locked_until > %(now)s
                 GROUP BY d.endpoint_id, e.platform_id
            ), per_endpoint AS (
                SELECT endpoint_id, sum(n) AS n FROM in_flight GROUP BY endpoint_id
            ), per_platform AS (
                SELECT platform_id, sum(n) AS n FROM in_flight GROUP BY platform_id
            ), due AS (
                SELECT d.id, d.next_attempt_at, d.endpoint_id, e.platform_id,
                       row_number() OVER (PARTITION BY d.endpoint_id
                                          ORDER BY d.next_attempt_at, d.id) AS nth
                  FROM {table(WebhookDelivery)} d
                  JOIN {table(WebhookEndpoint)} e ON e.id = d.endpoint_id
                 WHERE d.status = %(pending)s AND d.next_attempt_at <= %(now)s
                   AND (d.locked_until IS NULL OR d.locked_until <= %(now)s)
                   AND e.status = %(enabled)s AND e.deleted_at IS NULL {among}
            ), endpoint_room AS (
                SELECT due.id, due.next_attempt_at, due.platform_id,
                       row_number() OVER (PARTITION BY due.platform_id
                                          ORDER BY due.next_attempt_at, due.id) AS nth
                  FROM due LEFT JOIN per_endpoint busy ON busy.endpoint_id = due.endpoint_id
                 WHERE due.nth + COALESCE(busy.n, 0) <= %(per_endpoint)s
            )
            SELECT r.id FROM endpoint_room r
              LEFT JOIN per_platform busy ON busy.platform_id = r.platform_id
             WHERE r.nth + COALESCE(busy.n, 0) <= %(per_platform)s
             ORDER BY r.next_attempt_at, r.id
             LIMIT %(limit)s
            """,
            {
                "pending": DeliveryStatus.PENDING.value,
                "enabled": EndpointStatus.ENABLED.value,
                "now": now,
                "ids": delivery_ids,
                "per_endpoint": int(settings.WEBHOOK_MAX_IN_FLIGHT_PER_ENDPOINT),
                "per_platform": int(settings.WEBHOOK_MAX_IN_FLIGHT_PER_PLATFORM),
                "limit": limit,
            },
        )
        chosen = [row[0] for row in cursor.fetchall()]
        if not chosen:
            return []
        ids = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(pk__in=chosen)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)
        )
        if ids:
            WebhookDelivery.objects.filter(pk__in=ids).update(locked_until=now + lease(len(ids)))
    return ids
