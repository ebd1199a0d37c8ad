"""The operations exception queue.

An exception records something the platform will not decide on its own: a provider that reports
a payout paid after it failed, a second settlement, an amount we did not send, a piece of work
that kept failing. Each one names what it concerns (payout, attempt, provider event), says what
happened in words and figures, and stays open until a person resolves it, saying how. Execution
opens them today; reconciliation of bank statements will feed the same queue.
"""

from __future__ import annotations

from django.db import models


class ExceptionKind(models.TextChoices):
    PAID_AFTER_FINAL = "paid_after_final", "Paid after the payout had ended"
    RETURNED_AFTER_FINAL = "returned_after_final", "Returned after the payout had ended"
    FAILED_AFTER_PAID = "failed_after_paid", "Reported failed after it was paid"
    SECOND_SETTLEMENT = "second_settlement", "Settled a second time"
    AMOUNT_MISMATCH = "amount_mismatch", "An amount or currency unlike the one we sent"
    UNMATCHED_EVENT = "unmatched_event", "A provider event for no attempt of ours"
    DEAD_LETTER = "dead_letter", "Work that kept failing and was set aside"
    NO_ANSWER = "no_answer", "The provider never told us the outcome"


class ExceptionStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class OperationsException(models.Model):
    kind = models.CharField(max_length=32, choices=ExceptionKind.choices)
    # What it is about, once: opening the same thing again returns the open record.
    key = models.CharField(max_length=200, unique=True)
    status = models.CharField(
        max_length=16, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN
    )
    platform = models.ForeignKey(
        "payouts.Platform", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payout = models.ForeignKey(
        "payouts.Payout",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="exceptions",
    )
    attempt = models.ForeignKey(
        "payouts.PayoutAttempt", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    provider_event = models.ForeignKey(
        "payouts.ProviderEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.TextField()
    # Figures behind the detail (amounts in minor units, statuses, ids), never raw PII.
    data = models.JSONField(default=dict, blank=True)
    # The ledger entry posted when it was opened (money to or from suspense), if any.
    entry_id = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=200, blank=True)
    resolution = models.TextField(blank=True)

    class Meta:
        db_table = "payouts_operations_exception"
        ordering = ["-id"]
        permissions = [("resolve_operationsexception", "Can resolve operations exceptions")]
        constraints = [
            # Resolved means someone said who and how; open means nobody has yet.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status="open",
                        resolved_at__isnull=True,
                        resolved_by="",
                        resolution="",
                    )
                    | (
                        models.Q(status="resolved", resolved_at__isnull=False)
                        & ~models.Q(resolved_by="")
                        & ~models.Q(resolution="")
                    )
                ),
                name="payouts_exception_resolution",
            )
        ]
        indexes = [
            models.Index(
                fields=["id"],
                name="payouts_exception_open",
                condition=models.Q(status="open"),
            )
        ]

    def __str__(self) -> str:
        return f"exception {self.id}: {self.kind} ({self.status})"
