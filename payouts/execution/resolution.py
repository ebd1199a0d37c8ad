"""Settling unknown outcomes: ask the provider about an attempt's key, or resubmit with the same
key when it never got the submission. Never a fresh submission."""

from __future__ import annotations

import time
from collections.abc import Sequence

from django.db import transaction

from payouts.execution.providers import provider_client, submit_request
from payouts.execution.submission import attempt_outcomes_record
from payouts.execution.trouble import attempt_trouble, no_answer_dead_letter
from payouts.lifecycle.models import AttemptStatus, PayoutAttempt
from payouts.outbox import services as outbox
from rails.providers.base import RailError
from rails.types import OutcomeKind, SubmitOutcome

RESOLVE_BUDGET_S = outbox.RESOLVE_BUDGET_S


def _resolve_one(attempt: PayoutAttempt) -> SubmitOutcome | None:
    """Ask the provider about the attempt's key; resubmit with the same key if it never got it.
    None: the provider could not be asked (a read moves no money), try again later."""
    client = provider_client(attempt.rail)
    try:
        transfer = client.transfer_by_key(attempt.idempotency_key)
    except RailError as exc:
        with transaction.atomic():
            if outbox.later(outbox.SUBMIT, attempt.id, str(exc)):
                no_answer_dead_letter(attempt, str(exc))
        return None
    if transfer is not None:
        return SubmitOutcome(OutcomeKind.ACCEPTED, transfer.provider_reference)
    return client.submit(submit_request(attempt.payout, attempt.idempotency_key))


def attempts_resolve(*, attempt_ids: Sequence[int], budget_s: float = RESOLVE_BUDGET_S) -> None:
    """Settle unknown outcomes: ask the provider about each attempt's key; if it never got the
    submission, resubmit with the same key. Unreachable provider: try again later. Each attempt
    is on its own (one that fails does not stop the others), and the whole takes at most
    ``budget_s``: what is left is handed back for another worker."""
    attempts = list(
        PayoutAttempt.objects.select_related("payout__method").filter(
            pk__in=attempt_ids, status=AttemptStatus.SUBMITTING
        )
    )
    outcomes: list[tuple[int, SubmitOutcome]] = []
    deadline = time.monotonic() + budget_s
    for index, attempt in enumerate(attempts):
        if time.monotonic() > deadline:
            # Out of time: hand the rest back at once rather than hold them past the lease.
            with transaction.atomic():
                outbox.release(outbox.SUBMIT, [a.id for a in attempts[index:]])
            break
        try:
            outcome = _resolve_one(attempt)
        except Exception as exc:  # noqa: BLE001 - one attempt's trouble is its own
            attempt_trouble(attempt, exc)
            continue
        if outcome is not None:
            outcomes.append((attempt.id, outcome))
    attempt_outcomes_record(outcomes)
    # Anything that vanished from `submitting` meanwhile needs no more work.
    with transaction.atomic():
        outbox.done(
            outbox.SUBMIT,
            PayoutAttempt.objects.filter(pk__in=attempt_ids)
            .exclude(status=AttemptStatus.SUBMITTING)
            .values_list("pk", flat=True),
        )
