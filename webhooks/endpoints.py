"""Webhook endpoints (where a platform wants its events) and redelivery of events.

An endpoint receives every event of its platform whose type it subscribes to (``event_types``;
empty: all) while it is enabled and not deleted. Its signing secret (``whsec_...``) is shown once,
when the endpoint is created or the secret rotated, and kept encrypted (``core.crypto``).

Disabling (by the platform, or by ``webhooks.delivery`` after too many failures)
pauses the endpoint's pending deliveries until the end of their retry window; enabling it again
within that window resumes them at once. Deleting ends them. Delivery itself lives in
``webhooks.delivery``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from core.crypto import decrypt_json, encrypt_json
from core.db.names import table
from core.errors import InvalidInput
from webhooks import destinations, registry
from webhooks.errors import InvalidUrl, UnknownEventType, WebhookEndpointDisabled
from webhooks.fanout import deliver_after_commit, deliveries_insert
from webhooks.limits import endpoint_room_check, platform_lock, redeliveries_check
from webhooks.models import DeliveryStatus, EndpointStatus, WebhookDelivery, WebhookEndpoint
from webhooks.selectors import endpoint_find, event_get

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
MAX_URL_LENGTH = 2000
MAX_DESCRIPTION = 500
MAX_ROTATION_OVERLAP_S = 7 * 86400
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def api_datetime(value: dt.datetime | None) -> str | None:
    """An aware datetime as the API renders it (ISO 8601, UTC as ``Z``)."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def endpoint_data(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """An endpoint as the API shows it (never its secrets)."""
    return {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "status": endpoint.status,
        "disabled_reason": endpoint.disabled_reason,
        "disabled_at": api_datetime(endpoint.disabled_at),
        "previous_secret_expires_at": api_datetime(endpoint.previous_secret_expires_at),
        "created": api_datetime(endpoint.created),
        "updated": api_datetime(endpoint.updated),
    }


def endpoints_render(endpoints: Sequence[WebhookEndpoint]) -> list[dict[str, Any]]:
    """The renderer of ``webhook_endpoint`` events (``webhooks.registry``)."""
    return [endpoint_data(endpoint) for endpoint in endpoints]


def endpoint_secrets(endpoint: WebhookEndpoint, *, now: dt.datetime | None = None) -> list[str]:
    """The secrets that sign its deliveries now: the current one, then the previous one while
    a rotation's overlap lasts."""
    found = [decrypt_json(endpoint.secret_encrypted)["secret"]]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires and expires > (now or timezone.now()):
        found.append(decrypt_json(endpoint.previous_secret_encrypted)["secret"])
    return found


def _new_secret() -> tuple[str, str]:
    """A new secret and its encrypted form."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, encrypt_json({"secret": secret})


def url_validate(value: object) -> str:
    """An endpoint URL: http or https (https only in production), a host name or IP address
    that webhooks may reach (``webhooks.destinations``; a name is resolved now, and again at
    every delivery), no credentials and no fragment, at most 2000 characters. Raises
    ``InvalidUrl`` (field ``url``)."""

    def invalid(why: str) -> InvalidUrl:
        return InvalidUrl(f"url {why}", field="url")

    if not isinstance(value, str) or not value.strip():
        raise invalid("is required")
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise invalid(f"is at most {MAX_URL_LENGTH} characters")
    if not url.isascii() or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise invalid("has spaces, control or non-ASCII characters (use punycode for hosts)")
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https"}:
        raise invalid("must start with http:// or https://")
    if parts.username is not None or parts.password is not None:
        raise invalid("must not carry credentials")
    if parts.fragment:
        raise invalid("must not have a fragment")
    try:
        parts.port  # noqa: B018 - raises ValueError for a port out of range or not a number
    except ValueError:
        raise invalid("has an invalid port") from None
    host = parts.hostname or ""
    if not host:
        raise invalid("has no host")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.split(".")
        if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
            raise invalid("has an invalid host name") from None
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    refusal = destinations.host_refusal(parts.scheme, host, port)
    if refusal:
        raise InvalidUrl(refusal, field="url")
    return url


def _event_types(value: object) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(t, str) for t in value):
        raise InvalidInput("event_types is a list of event types", field="event_types")
    unknown = sorted(set(value) - set(registry.event_types()))
    if unknown:
        raise UnknownEventType(
            f"unknown event types: {', '.join(unknown)}", field="event_types", unknown=unknown
        )
    return sorted(set(value))


def _description(value: object) -> str:
    if not isinstance(value, str) or len(value) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"description is at most {MAX_DESCRIPTION} characters", field="description"
        )
    return value


def endpoint_create(
    *,
    platform: Model,
    url: object,
    description: object = "",
    event_types: object = (),
) -> tuple[WebhookEndpoint, str]:
    """Create an enabled endpoint; returns it and its signing secret, which is shown only now.
    ``event_types`` empty means every type. Raises ``InvalidUrl``, ``UnknownEventType`` and
    ``InvalidInput`` (description, event_types), each naming its field, and
    ``WebhookEndpointLimitReached`` when the platform has ``WEBHOOK_MAX_ENDPOINTS_PER_PLATFORM``
    already (counted under the platform's lock, so concurrent creations cannot pass it); nothing
    is created then."""
    clean_url = url_validate(url)
    clean_description = _description(description)
    types = _event_types(event_types)
    secret, encrypted = _new_secret()
    with transaction.atomic():
        platform_lock(platform.pk)
        endpoint_room_check(platform.pk)
        endpoint = WebhookEndpoint.objects.create(
            platform_id=platform.pk,
            url=clean_url,
            description=clean_description,
            event_types=types,
            secret_encrypted=encrypted,
        )
    return endpoint, secret


def endpoint_update(
    *,
    platform: Model,
    endpoint_id: object,
    url: object = None,
    description: object = None,
    event_types: object = None,
    status: object = None,
) -> WebhookEndpoint:
    """Change what is given (``None``: unchanged; ``event_types=[]``: every type).

    ``status="disabled"`` pauses the endpoint's pending deliveries; ``status="enabled"`` clears
    its failure count and resumes them at once (those whose retry window has passed get one
    last attempt). Raises ``WebhookEndpointNotFound``, ``InvalidUrl``, ``UnknownEventType``,
    ``InvalidInput``; nothing changes then."""
    fields: dict[str, object] = {}
    if url is not None:
        fields["url"] = url_validate(url)
    if description is not None:
        fields["description"] = _description(description)
    if event_types is not None:
        fields["event_types"] = _event_types(event_types)
    if status is not None and status not in EndpointStatus.values:
        raise InvalidInput(f"status is one of {', '.join(EndpointStatus.values)}", field="status")
    with transaction.atomic():
        endpoint = endpoint_find(platform, endpoint_id, lock=True)
        for name, value in fields.items():
            setattr(endpoint, name, value)
        if status == EndpointStatus.ENABLED and endpoint.status != EndpointStatus.ENABLED:
            endpoint.status = EndpointStatus.ENABLED
            endpoint.consecutive_failures = 0
            endpoint.failing_since = None
            endpoint.disabled_reason = ""
            endpoint.disabled_at = None
            deliver_after_commit(deliveries_resume(endpoint_id=endpoint.id))
        elif status == EndpointStatus.DISABLED and endpoint.status != EndpointStatus.DISABLED:
            endpoint_disable(endpoint, reason="disabled by the platform")
        endpoint.save()
    return endpoint


def endpoint_disable(endpoint: WebhookEndpoint, *, reason: str) -> None:
    """Mark a locked endpoint disabled (the caller saves it) and pause its pending deliveries
    until the end of their retry window."""
    assert connection.in_atomic_block, "the endpoint is locked by the caller"
    endpoint.status = EndpointStatus.DISABLED
    endpoint.disabled_reason = reason[:500]
    endpoint.disabled_at = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table(WebhookDelivery)}
               SET next_attempt_at = GREATEST(created + make_interval(secs => %s), now()),
                   locked_until = NULL
             WHERE endpoint_id = %s AND status = %s
            """,
            [float(settings.WEBHOOK_RETRY_WINDOW_S), endpoint.id, DeliveryStatus.PENDING.value],
        )


def deliveries_resume(*, endpoint_id: int) -> list[int]:
    """Make an endpoint's pending deliveries due now; returns their ids."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table(WebhookDelivery)} SET next_attempt_at = now(), locked_until = NULL
             WHERE endpoint_id = %s AND status = %s
            RETURNING id
            """,
            [endpoint_id, DeliveryStatus.PENDING.value],
        )
        return sorted(row[0] for row in cursor.fetchall())


def endpoint_delete(*, platform: Model, endpoint_id: object) -> WebhookEndpoint:
    """Delete an endpoint (softly: it stays on record with its deliveries). It gets no new
    deliveries, and its pending ones end ``failed`` ("endpoint deleted"). Raises
    ``WebhookEndpointNotFound`` (also when already deleted)."""
    with transaction.atomic():
        endpoint = endpoint_find(platform, endpoint_id, lock=True)
        endpoint.deleted_at = timezone.now()
        endpoint.save(update_fields=["deleted_at", "updated"])
        WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.FAILED, locked_until=None, last_error="endpoint deleted"
        )
    return endpoint


def endpoint_secret_rotate(
    *, platform: Model, endpoint_id: object, expires_in_s: object = 86400
) -> str:
    """Give an endpoint a new secret and return it (shown only now). Deliveries are signed with
    both the new and the previous secret for ``expires_in_s`` seconds (0 to 7 days; 0 drops the
    previous one at once), so the receiver can switch without losing any. A rotation during an
    overlap drops the oldest secret. Raises ``WebhookEndpointNotFound``, ``InvalidInput``
    (``expires_in_s``)."""
    if (
        not isinstance(expires_in_s, int)
        or isinstance(expires_in_s, bool)
        or not 0 <= expires_in_s <= MAX_ROTATION_OVERLAP_S
    ):
        raise InvalidInput(
            f"expires_in_s is a whole number of seconds from 0 to {MAX_ROTATION_OVERLAP_S}",
            field="expires_in_s",
        )
    secret, encrypted = _new_secret()
    with transaction.atomic():
        endpoint = endpoint_find(platform, endpoint_id, lock=True)
        if expires_in_s:
            endpoint.previous_secret_encrypted = endpoint.secret_encrypted
            endpoint.previous_secret_expires_at = timezone.now() + dt.timedelta(
                seconds=expires_in_s
            )
        else:
            endpoint.previous_secret_encrypted = ""
            endpoint.previous_secret_expires_at = None
        endpoint.secret_encrypted = encrypted
        endpoint.save()
    return secret


def event_redeliver(
    *, platform: Model, event_id: object, endpoint_id: object = None
) -> list[WebhookDelivery]:
    """Send an event again, as a new delivery (``is_redelivery``, with a fresh retry window),
    to each of the platform's enabled endpoints that subscribe to its type, or only to
    ``endpoint_id``. The body is the one first sent (same event id, sequence and data).
    Returns the new deliveries (none when no endpoint wants it). Raises ``EventNotFound``,
    ``WebhookEndpointNotFound``, ``WebhookEndpointDisabled`` (for a disabled ``endpoint_id``)
    and ``RedeliveryRateLimited`` when the new deliveries would pass the platform's
    ``WEBHOOK_REDELIVERIES_PER_MINUTE`` (nothing is written then)."""
    with transaction.atomic():
        platform_lock(platform.pk)
        event = event_get(platform=platform, event_id=event_id)
        endpoints: Sequence[WebhookEndpoint]
        if endpoint_id is not None:
            endpoint = endpoint_find(platform, endpoint_id, lock=False)
            if endpoint.status != EndpointStatus.ENABLED:
                raise WebhookEndpointDisabled(
                    f"webhook endpoint {endpoint.id} is disabled", field="webhook_endpoint"
                )
            endpoints = [endpoint]
        else:
            endpoints = [
                e
                for e in WebhookEndpoint.objects.filter(
                    platform_id=platform.pk, status=EndpointStatus.ENABLED, deleted_at__isnull=True
                ).order_by("id")
                if not e.event_types or event.type in e.event_types
            ]
        redeliveries_check(platform.pk, len(endpoints))
        ids = deliveries_insert([(event.id, e.id) for e in endpoints], is_redelivery=True)
    return list(WebhookDelivery.objects.filter(pk__in=ids).order_by("id"))
