"""Platforms (tenants), their API keys and their fee schedules."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class FeeBearer(models.TextChoices):
    PAYEE = "payee", "Payee (deducted from the payout)"
    PLATFORM = "platform", "Platform (debited from its funding)"


class ScheduleFrequency(models.TextChoices):
    MANUAL = "manual", "Manual"
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Platform(models.Model):
    """A tenant: it owns one ledger book and everything else in this app hangs off it."""

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=64, unique=True)
    book_id = models.BigIntegerField(unique=True)  # ledger book; reached through ledger services
    currencies = ArrayField(models.CharField(max_length=3), default=list)
    fee_bearer = models.CharField(max_length=16, choices=FeeBearer.choices, default=FeeBearer.PAYEE)
    # Payouts (and batches) at or above this amount, in major units per currency, wait for a
    # second person's approval ({"USD": "10000.00"}). A currency absent here needs none.
    approval_thresholds = models.JSONField(default=dict, blank=True)
    # Payouts at or above this (per currency, like approval_thresholds) go to manual review by
    # finance before anything else; compliance adds its own reasons for review.
    review_thresholds = models.JSONField(default=dict, blank=True)
    default_schedule = models.CharField(
        max_length=16, choices=ScheduleFrequency.choices, default=ScheduleFrequency.MANUAL
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """A platform's API key. Only a SHA-256 of the secret is stored; the key is shown once."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=32, unique=True)  # public part, for lookup and display
    key_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=32), default=list)
    created = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.prefix}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class Speed(models.TextChoices):
    STANDARD = "standard", "Standard"
    INSTANT = "instant", "Instant"


class FeeRule(models.Model):
    """One line of a platform's fee schedule: fixed plus a percentage, per rail, speed and
    currency. Fees round half up to the currency's minor unit, in one function."""

    platform = models.ForeignKey(Platform, on_delete=models.PROTECT, related_name="fee_rules")
    rail = models.CharField(max_length=32)
    speed = models.CharField(max_length=16, choices=Speed.choices, default=Speed.STANDARD)
    currency = models.CharField(max_length=3)
    fixed_minor = models.BigIntegerField(default=0)
    percent = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    minimum_minor = models.BigIntegerField(default=0)
    maximum_minor = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["platform_id", "rail", "speed", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "rail", "speed", "currency"], name="payouts_fee_rule_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(fixed_minor__gte=0)
                & models.Q(percent__gte=0)
                & models.Q(percent__lt=100)
                & models.Q(minimum_minor__gte=0),
                name="payouts_fee_rule_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rail}/{self.speed}/{self.currency}"
