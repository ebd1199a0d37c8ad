"""Payout batches: many items, each validated on its own, approved once, executed together."""

from __future__ import annotations

from django.db import models

from payouts.platforms.models import Platform


class BatchStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    APPROVED = "approved", "Approved (executing)"
    COMPLETED = "completed", "Completed"
    CANCELED = "canceled", "Canceled"


class ItemStatus(models.TextChoices):
    VALID = "valid", "Valid (waiting for approval)"
    INVALID = "invalid", "Invalid (never becomes a payout)"
    CREATED = "created", "Payout created"
    FAILED = "failed", "Failed at execution (no payout)"
    CANCELED = "canceled", "Canceled with the batch"


class PayoutBatch(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="batches")
    status = models.CharField(max_length=32, choices=BatchStatus.choices)
    description = models.CharField(max_length=500, blank=True)
    source = models.CharField(max_length=16, default="json")  # json or csv
    # The quote at creation: per currency {"count", "amount", "fee", "net"} of the valid items.
    quote = models.JSONField(default=dict)
    item_count = models.PositiveIntegerField(default=0)
    invalid_count = models.PositiveIntegerField(default=0)
    requires_approval = models.BooleanField(default=False)
    created_by = models.CharField(max_length=200)
    approved_by = models.CharField(max_length=200, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "payout batches"

    def __str__(self) -> str:
        return f"batch {self.id} ({self.status})"


class PayoutBatchItem(models.Model):
    batch = models.ForeignKey(PayoutBatch, on_delete=models.PROTECT, related_name="items")
    line = models.PositiveIntegerField()  # 1-based position in the submitted list or CSV
    status = models.CharField(max_length=16, choices=ItemStatus.choices)
    data = models.JSONField(default=dict)  # the item as submitted (no sensitive values)
    payee_id = models.BigIntegerField(null=True, blank=True)
    method_id = models.BigIntegerField(null=True, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    fee_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    payout = models.OneToOneField(
        "payouts.Payout", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["batch_id", "line"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "line"], name="payouts_batch_item_line"),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} line {self.line}"
