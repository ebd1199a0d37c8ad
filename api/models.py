"""What the REST API keeps besides the domain: idempotency keys and their stored responses."""

from __future__ import annotations

from django.db import models

from payouts.platforms.models import Platform


class IdempotencyKey(models.Model):
    """One ``Idempotency-Key`` of a platform, with the response its first request produced.

    The row is inserted in the same transaction as the work the request does, so a request that
    fails leaves no key behind, and a concurrent request with the same key waits on the unique
    index until the first one commits, then replays its response. Kept 30 days."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)  # SHA-256 of method, path and body
    response_status = models.PositiveSmallIntegerField()
    response_body = models.TextField(blank=True)  # the rendered JSON, replayed byte for byte
    response_headers = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The table it had in the payouts app: the model moved, its rows did not.
        db_table = "payouts_idempotencykey"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "key"], name="payouts_idempotency_key_unique"
            )
        ]
        indexes = [models.Index(fields=["created"], name="payouts_idempotency_created")]

    def __str__(self) -> str:
        return f"{self.key} ({self.method} {self.path})"
