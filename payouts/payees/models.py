"""Payees, their payout methods (sensitive values encrypted) and their payout schedules."""

from __future__ import annotations

from django.db import models

from payouts.platforms.models import Platform, ScheduleFrequency


class PayeeType(models.TextChoices):
    INDIVIDUAL = "individual", "Individual"
    BUSINESS = "business", "Business"


class PayeeStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    BLOCKED = "blocked", "Blocked"
    ARCHIVED = "archived", "Archived"


class Payee(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="payees")
    external_id = models.CharField(max_length=128)
    type = models.CharField(max_length=16, choices=PayeeType.choices)
    legal_name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254, blank=True)
    country = models.CharField(max_length=2)
    status = models.CharField(
        max_length=16, choices=PayeeStatus.choices, default=PayeeStatus.ACTIVE
    )
    kyc_tier = models.CharField(max_length=32, default="none")  # set by compliance
    tax_profile = models.JSONField(default=dict, blank=True)  # filled by compliance
    metadata = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="payouts_payee_external_id_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.legal_name} ({self.external_id})"


class MethodStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"


class PayoutMethod(models.Model):
    """Where a payee is paid. Immutable once created: a change is a new method plus the old one
    disabled, both recorded in ``PayoutMethodChange``, so history is never wiped."""

    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="methods")
    type = models.CharField(max_length=32)
    currency = models.CharField(max_length=3)
    country = models.CharField(max_length=2)
    holder_name = models.CharField(max_length=200)
    secret_encrypted = models.TextField()  # Fernet token of the sensitive values (core.crypto)
    public = models.JSONField(default=dict)  # safe to show: routing number, BIC, brand, ...
    last4 = models.CharField(max_length=4)
    fingerprint = models.CharField(max_length=64, db_index=True)
    status = models.CharField(
        max_length=16, choices=MethodStatus.choices, default=MethodStatus.ACTIVE
    )
    created = models.DateTimeField(auto_now_add=True)
    disabled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.type} ••••{self.last4}"


class PayoutMethodChange(models.Model):
    """Append-only history of a payee's methods: who added or disabled which, and when."""

    method = models.ForeignKey(PayoutMethod, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=16)  # created, disabled, replaced
    actor = models.CharField(max_length=200)
    reason = models.CharField(max_length=500, blank=True)
    snapshot = models.JSONField(default=dict)  # public fields and last4 at that moment
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.method_id}"


class PayoutSchedule(models.Model):
    """Automatic payouts for one payee and currency: when the available balance reaches
    ``minimum_minor``, all of it is paid out to ``method`` at each run."""

    payee = models.ForeignKey(Payee, on_delete=models.PROTECT, related_name="schedules")
    method = models.ForeignKey(PayoutMethod, on_delete=models.PROTECT, related_name="+")
    currency = models.CharField(max_length=3)
    frequency = models.CharField(max_length=16, choices=ScheduleFrequency.choices)
    minimum_minor = models.BigIntegerField(default=0)
    is_active = models.BooleanField(default=True)
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["payee", "currency"], name="payouts_schedule_one_per_currency"
            ),
            models.CheckConstraint(
                condition=models.Q(minimum_minor__gte=0), name="payouts_schedule_minimum"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.frequency} {self.currency} for payee {self.payee_id}"
