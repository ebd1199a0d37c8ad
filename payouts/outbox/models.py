"""The transactional outbox: work owed after a commit, written with the change that calls for it
(by the payout lifecycle and batches) and drained by execution."""

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
    # Set aside after PAYOUTS_OUTBOX_MAX_TRIES failures (processed_at is set too, so nothing
    # claims it again); the caller opens an operations exception for a person.
    dead_at = models.DateTimeField(null=True, blank=True)

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
