"""Money coming in: fundings of a platform's balance, and earnings credited to payees."""

from __future__ import annotations

from django.db import models

from payouts.payees.models import Payee
from payouts.platforms.models import Platform


class FundingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed"


class Funding(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="fundings")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=FundingStatus.choices, default=FundingStatus.PENDING
    )
    entry_id = models.BigIntegerField(null=True, blank=True)  # the ledger entry cash -> funding
    created_by = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "reference"], name="payouts_funding_reference_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payouts_funding_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"funding {self.reference}"


class Earning(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="earnings")
    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="earnings")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    description = models.CharField(max_length=500, blank=True)
    entry_id = models.BigIntegerField()  # the ledger entry funding -> payee:available
    created_by = models.CharField(max_length=200)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_minor__gt=0), name="payouts_earning_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"earning {self.id}"
