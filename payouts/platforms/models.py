"""Platforms (tenants), their API keys and their fee schedules."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from djmoney.models.fields import MoneyField

from ledger.money import to_minor

# Amounts that people type (fee parts, thresholds) are django-money fields: decimal major units
# with their currency, shown as money in the admin. Four decimals hold every ISO 4217 exponent;
# services and forms refuse more decimals than the amount's own currency has, so the minor-unit
# view below is always exact. The ledger itself keeps integer minor units.
MONEY_DIGITS = {"max_digits": 19, "decimal_places": 4}


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
    # Approval and review thresholds per currency are Threshold rows (below).
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
    # The three amounts share the ``currency`` column above (declared first, so django-money
    # adds no currency column of its own).
    fixed = MoneyField(currency_field_name="currency", **MONEY_DIGITS)
    percent = models.DecimalField(max_digits=7, decimal_places=4, default=0)
    minimum = MoneyField(currency_field_name="currency", **MONEY_DIGITS)
    maximum = MoneyField(
        currency_field_name="currency",
        null=True,
        blank=True,
        help_text="the fee never exceeds this; empty for no cap",
        **MONEY_DIGITS,
    )

    # Declared so that type checkers see the manager django-money wraps for Money lookups.
    objects: models.Manager[FeeRule] = models.Manager()

    class Meta:
        ordering = ["platform_id", "rail", "speed", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "rail", "speed", "currency"], name="payouts_fee_rule_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(fixed__gte=0)
                & models.Q(percent__gte=0)
                & models.Q(percent__lt=100)
                & models.Q(minimum__gte=0)
                & (models.Q(maximum__isnull=True) | models.Q(maximum__gte=0)),
                name="payouts_fee_rule_non_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rail}/{self.speed}/{self.currency}"

    # The fee arithmetic works in minor units, like the ledger.
    @property
    def fixed_minor(self) -> int:
        return to_minor(self.fixed, self.currency)

    @property
    def minimum_minor(self) -> int:
        return to_minor(self.minimum, self.currency)

    @property
    def maximum_minor(self) -> int | None:
        return None if self.maximum is None else to_minor(self.maximum, self.currency)


class ThresholdKind(models.TextChoices):
    # Payouts (and batches) at or above it wait for a second person's approval.
    APPROVAL = "approval", "Approval (a second person approves)"
    # Payouts at or above it go to manual review by finance before anything else; compliance
    # adds its own reasons for review.
    REVIEW = "review", "Review (finance reviews first)"


class Threshold(models.Model):
    """A platform's approval or review threshold in one currency. A currency with no row needs
    no approval (or review)."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="thresholds")
    kind = models.CharField(max_length=16, choices=ThresholdKind.choices)
    currency = models.CharField(max_length=3)
    amount = MoneyField(currency_field_name="currency", **MONEY_DIGITS)

    objects: models.Manager[Threshold] = models.Manager()  # as FeeRule's

    class Meta:
        ordering = ["platform_id", "kind", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "kind", "currency"], name="payouts_threshold_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=0), name="payouts_threshold_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.amount}"

    @property
    def amount_minor(self) -> int:
        return to_minor(self.amount, self.currency)
