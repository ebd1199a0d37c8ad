"""Events (what happened to a platform's objects) and their delivery to webhook endpoints.

The tables keep the names they had in the ``payouts`` app (``db_table``), so no data moved when
these models did. A platform is ``payouts.Platform``, named by label: this app imports nothing
of the apps that emit events."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


class EndpointStatus(models.TextChoices):
    ENABLED = "enabled", "Enabled"
    DISABLED = "disabled", "Disabled"


class WebhookEndpoint(models.Model):
    """Where a platform wants its events POSTed. The signing secret is kept encrypted
    (``core.crypto``); during a rotation the previous secret signs too, until it expires."""

    platform = models.ForeignKey("payouts.Platform", on_delete=models.PROTECT, related_name="+")
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=500, blank=True)
    event_types = ArrayField(models.CharField(max_length=64), default=list, blank=True)  # []: all
    status = models.CharField(
        max_length=16, choices=EndpointStatus.choices, default=EndpointStatus.ENABLED
    )
    secret_encrypted = models.TextField()
    previous_secret_encrypted = models.TextField(blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)  # the first of those failures
    disabled_reason = models.CharField(max_length=500, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "payouts_webhookendpoint"
        ordering = ["id"]
        indexes = [models.Index(fields=["platform", "id"], name="payouts_endpoint_platform")]

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """Something that happened to one object, written in the transaction of the change itself.
    ``sequence`` counts the object's events from 1, so a receiver can order them.

    The event is also the outbox record of its fan-out: ``fanned_out_at`` is empty until its
    deliveries are created, after that transaction commits (``webhooks.fanout``)."""

    platform = models.ForeignKey("payouts.Platform", on_delete=models.PROTECT, related_name="+")
    type = models.CharField(max_length=64)  # payout.paid, batch.completed, payee.updated, ...
    object_type = models.CharField(max_length=32)  # payout, payout_batch, payee, webhook_endpoint
    object_id = models.BigIntegerField()
    sequence = models.PositiveIntegerField()
    data = models.JSONField(default=dict)  # the object as the API showed it at that moment
    created = models.DateTimeField()
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payouts_event"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["object_type", "object_id", "sequence"], name="payouts_event_sequence"
            )
        ]
        indexes = [
            models.Index(fields=["platform", "id"], name="payouts_event_platform"),
            models.Index(fields=["platform", "type", "id"], name="payouts_event_type"),
            models.Index(
                fields=["id"],
                name="webhooks_event_to_fan_out",
                condition=models.Q(fanned_out_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.object_type} {self.object_id} #{self.sequence}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed (gave up)"


class WebhookDelivery(models.Model):
    """One event owed to one endpoint: written when the event is fanned out (once per event and
    endpoint; a redelivery is another), then POSTed by a worker until the endpoint answers 2xx,
    backing off, until the retry window ends."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    is_redelivery = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "payouts_webhookdelivery"
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                name="payouts_delivery_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["event", "id"], name="payouts_delivery_event"),
            # The deliveries in flight, counted by every claim (webhooks.claims).
            models.Index(
                fields=["endpoint"],
                name="webhooks_delivery_leased",
                condition=models.Q(status="pending", locked_until__isnull=False),
            ),
            # The redeliveries a platform asked for lately (webhooks.limits).
            models.Index(
                fields=["endpoint", "created"],
                name="webhooks_delivery_redelivered",
                condition=models.Q(is_redelivery=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"],
                name="webhooks_delivery_once",
                condition=models.Q(is_redelivery=False),
            )
        ]

    def __str__(self) -> str:
        return f"event {self.event_id} to endpoint {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the endpoint answered, how fast, or why it failed."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.PROTECT, related_name="attempt_log"
    )
    number = models.PositiveIntegerField()
    at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)

    class Meta:
        db_table = "payouts_webhookattempt"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
