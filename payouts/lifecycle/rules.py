"""The payout status lifecycle: one published transition table (docs/architecture.md).

``payouts.lifecycle.transitions.payout_transition`` is the only code that changes a payout's
status, and it refuses anything this table does not allow.
"""

from __future__ import annotations

from django.db import models


class PayoutStatus(models.TextChoices):
    PENDING = "pending", "Pending (hold placed, checks running)"
    IN_REVIEW = "in_review", "In review"
    AWAITING_APPROVAL = "awaiting_approval", "Awaiting approval"
    SCHEDULED = "scheduled", "Scheduled"
    PROCESSING = "processing", "Processing (submitted to a rail)"
    PAID = "paid", "Paid"
    FAILED = "failed", "Failed"
    RETURNED = "returned", "Returned"
    CANCELED = "canceled", "Canceled"
    REJECTED = "rejected", "Rejected"


S = PayoutStatus

# from -> the statuses it may move to.
TRANSITIONS: dict[PayoutStatus, frozenset[PayoutStatus]] = {
    S.PENDING: frozenset({S.IN_REVIEW, S.AWAITING_APPROVAL, S.SCHEDULED, S.CANCELED}),
    S.IN_REVIEW: frozenset({S.AWAITING_APPROVAL, S.SCHEDULED, S.REJECTED, S.CANCELED}),
    S.AWAITING_APPROVAL: frozenset({S.SCHEDULED, S.CANCELED}),
    # scheduled -> failed: the rail refused it before any money moved (no route, no funds for a
    # platform-borne fee); the hold is released.
    S.SCHEDULED: frozenset({S.PROCESSING, S.CANCELED, S.FAILED}),
    S.PROCESSING: frozenset({S.PAID, S.FAILED}),
    S.PAID: frozenset({S.RETURNED}),
    S.FAILED: frozenset(),
    S.RETURNED: frozenset(),
    S.CANCELED: frozenset(),
    S.REJECTED: frozenset(),
}

# Statuses before submission: cancel is allowed, and the money is still on hold.
PRE_PROCESSING = frozenset({S.PENDING, S.IN_REVIEW, S.AWAITING_APPROVAL, S.SCHEDULED})
# Nothing more will happen. `paid` is not final while the rail's return window is open.
FINAL_STATUSES = frozenset({S.FAILED, S.RETURNED, S.CANCELED, S.REJECTED})


def is_allowed(from_status: str, to_status: str) -> bool:
    try:
        return PayoutStatus(to_status) in TRANSITIONS[PayoutStatus(from_status)]
    except ValueError:
        return False
