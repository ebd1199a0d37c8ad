"""Execution plumbing: the inbox of provider events and each rail's polling cursor."""

from __future__ import annotations

from django.db import models


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
