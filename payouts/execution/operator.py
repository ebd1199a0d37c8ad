"""What an operator records for an attempt the platform could not settle on its own (set aside
after too many failures, or never heard of again): the outcome the provider confirmed, with the
ledger entry that goes with it, through the same transitions as a provider event."""

from __future__ import annotations

from django.db import transaction

from core.errors import InvalidInput, require_id
from payouts.common.errors import InvalidTransition
from payouts.execution.submission import attempts_save, failure_change, payouts_lock
from payouts.lifecycle import postings
from payouts.lifecycle.models import AttemptStatus, Payout, PayoutAttempt
from payouts.lifecycle.rules import PayoutStatus
from payouts.lifecycle.transitions import Change, transitions_apply
from payouts.outbox import services as outbox

PAID, NOT_EXECUTED = "paid", "not_executed"
OUTCOMES = (PAID, NOT_EXECUTED)


def attempt_outcome_record(*, attempt_id: object, outcome: str, actor: str, note: str) -> Payout:
    """Record what the provider confirmed for a processing payout's open attempt: ``paid``
    settles it (in transit -> cash), ``not_executed`` fails it (the payee gets the amount back,
    the fee is refunded). Raises ``InvalidInput`` without a note or with an unknown outcome and
    ``InvalidTransition`` when the payout is not processing or the attempt is no longer open."""
    attempt_id = require_id(attempt_id, "attempt")
    if outcome not in OUTCOMES:
        raise InvalidInput(f"outcome is one of {', '.join(OUTCOMES)}", field="outcome")
    note = (note or "").strip()
    if not note:
        raise InvalidInput("say what the provider confirmed", field="note")
    with transaction.atomic():
        found = PayoutAttempt.objects.filter(pk=attempt_id).values_list("payout_id", flat=True)
        if not found:
            raise InvalidInput(f"no attempt {attempt_id}", field="attempt")
        payout = payouts_lock({found[0]})[found[0]]
        attempt = PayoutAttempt.objects.select_for_update().get(pk=attempt_id)
        is_open = attempt.status in {AttemptStatus.SUBMITTING, AttemptStatus.ACCEPTED}
        if payout.status != PayoutStatus.PROCESSING or not is_open:
            raise InvalidTransition(
                f"payout {payout.id} is {payout.status} and its attempt {attempt.status}: "
                "there is no open outcome to record",
                payout_id=payout.id,
            )
        if outcome == PAID:
            change = Change(
                payout,
                PayoutStatus.PAID,
                entry=postings.settle(payout, payout.platform.book_id),
                reason=f"settled by an operator: {note}",
            )
            attempt.status = AttemptStatus.PAID
        else:
            change = failure_change(payout, "confirmed_not_executed", note)
            attempt.status = AttemptStatus.FAILED
        transitions_apply(changes=[change], actor=actor)
        attempts_save([attempt], ["status"])
        outbox.done(outbox.SUBMIT, [attempt.id])
    return payout
