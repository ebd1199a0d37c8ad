"""Payouts, their recorded transitions and their attempts at a rail."""

from __future__ import annotations

from django.db import models

from payouts.lifecycle.rules import FINAL_STATUSES, PayoutStatus
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import FeeBearer, Platform, Speed


class Payout(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="payouts")
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="payouts")
    method = models.ForeignKey(PayoutMethod, on_delete=models.PROTECT, related_name="payouts")
    batch = models.ForeignKey(
        "payouts.PayoutBatch",
        on_delete=models.PROTECT,
        related_name="payouts",
        null=True,
        blank=True,
    )
    amount_minor = models.BigIntegerField()  # what the payee's available balance gives up
    fee_minor = models.BigIntegerField(default=0)
    net_minor = models.BigIntegerField()  # what reaches the payee
    currency = models.CharField(max_length=3)
    fee_bearer = models.CharField(max_length=16, choices=FeeBearer.choices)
    speed = models.CharField(max_length=16, choices=Speed.choices, default=Speed.STANDARD)
    rail = models.CharField(max_length=32)
    estimated_arrival = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=32, choices=PayoutStatus.choices)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.CharField(max_length=500, blank=True)
    created_by = models.CharField(max_length=200)
    approved_by = models.CharField(max_length=200, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The worker's claim: due scheduled payouts, oldest first.
            models.Index(
                fields=["scheduled_for", "id"],
                name="payouts_payout_due",
                condition=models.Q(status="scheduled"),
            ),
            models.Index(fields=["platform", "status", "id"], name="payouts_payout_status"),
            models.Index(fields=["payee", "id"], name="payouts_payout_payee"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0)
                & models.Q(fee_minor__gte=0)
                & models.Q(net_minor__gt=0),
                name="payouts_payout_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"payout {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES


class PayoutTransition(models.Model):
    """One recorded status change, written in the transaction of its ledger entry."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="transitions")
    from_status = models.CharField(max_length=32, blank=True)  # blank: creation
    to_status = models.CharField(max_length=32)
    actor = models.CharField(max_length=200)
    reason = models.CharField(max_length=500, blank=True)
    entry_id = models.BigIntegerField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["payout", "id"], name="payouts_transition_payout")]

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status}"


class AttemptStatus(models.TextChoices):
    SUBMITTING = "submitting", "Submitting (outcome not yet known)"
    ACCEPTED = "accepted", "Accepted by the provider"
    REJECTED = "rejected", "Rejected by the provider"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    RETURNED = "returned", "Returned"


class PayoutAttempt(models.Model):
    """One submission of a payout to a rail, under one provider idempotency key. A resubmission
    after an unknown outcome reuses the key, so the provider pays it at most once."""

    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="attempts")
    number = models.PositiveIntegerField()
    rail = models.CharField(max_length=32)
    idempotency_key = models.CharField(max_length=64, unique=True)
    provider_reference = models.CharField(max_length=128, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=AttemptStatus.choices)
    submit_calls = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    raw_code = models.CharField(max_length=16, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["payout", "number"], name="payouts_attempt_number"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of payout {self.payout_id}"
