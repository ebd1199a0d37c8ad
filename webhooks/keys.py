"""Webhook endpoints' signing secrets under a new field encryption key.

The secrets are kept as ``core.crypto`` tokens (``webhooks.endpoints``); when a new key is put in
front of FIELD_ENCRYPTION_KEYS, ``manage.py rotate_encryption_keys`` moves them to it with
:func:`endpoints_reseal`, so that the old key can be dropped without losing a single endpoint.
"""

from __future__ import annotations

from core.resealing import ResealBatch, rows_reseal
from webhooks.models import WebhookEndpoint


def endpoints_reseal(*, after_id: int, limit: int) -> ResealBatch:
    """Re-encrypt under the newest key the current and previous secret of each of the next
    ``limit`` endpoints by id after ``after_id`` (``core.resealing.rows_reseal``: one
    transaction, idempotent, resumable). Raises ``ResealFailed`` for a token that does not open."""
    return rows_reseal(
        WebhookEndpoint,
        fields=["secret_encrypted", "previous_secret_encrypted"],
        context=lambda _endpoint_id: None,
        after_id=after_id,
        limit=limit,
        what="webhook endpoint",
    )


def endpoints_count() -> int:
    """How many endpoints :func:`endpoints_reseal` walks (a progress bar's total)."""
    return WebhookEndpoint.objects.count()
