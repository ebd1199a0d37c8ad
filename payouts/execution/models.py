"""Execution plumbing: the transactional outbox and the inbox of provider events."""

from __future__ import annotations

from django.db import models


class OutboxMessage(models.Model):
    """Work that must happen after a commit, written in the same transaction as the state change
    that calls for it. A task is enqueued after commit; the sweeper re-enqueues anything still
    here when due, so a lost message delays work and never loses it. Handlers are idempotent."""

    kind = models.CharField(max_length=64)  # payout.execute, attempt.submit, provider.events
    object_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    available_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)  # a worker's lease
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                name="payouts_outbox_pending",
                condition=models.Q(processed_at__isnull=True),
            ),
            models.Index(fields=["kind", "object_id"], name="payouts_outbox_object"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}"


class ProviderEvent(models.Model):
    """A status change reported by a provider (callback or poll), stored once per event id and
    applied to its payout exactly once."""

    rail = models.CharField(max_length=32)
    event_id = models.CharField(max_length=128)
    sequence = models.BigIntegerField()
    provider_reference = models.CharField(max_length=128)
    idempotency_key = models.CharField(max_length=64)
    status = models.CharField(max_length=16)
    body = models.JSONField(default=dict)
    source = models.CharField(max_length=16)  # callback or poll
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["rail", "event_id"], name="payouts_provider_event_once")
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="payouts_provider_event_todo",
                condition=models.Q(processed_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.rail} {self.event_id} ({self.status})"


class ProviderCursor(models.Model):
    """How far we have read a provider's event feed (status polling)."""

    rail = models.CharField(max_length=32, unique=True)
    sequence = models.BigIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.rail} at {self.sequence}"
