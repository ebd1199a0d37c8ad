"""When our own side fails for one attempt: log it, retry it later, and after too many tries
set it aside with an operations exception, so one attempt's trouble never stalls the others."""

from __future__ import annotations

import logging

from django.db import transaction

from payouts.exceptions.models import ExceptionKind
from payouts.exceptions.services import exception_open
from payouts.lifecycle.models import PayoutAttempt
from payouts.outbox import services as outbox

logger = logging.getLogger(__name__)


def attempt_trouble(attempt: PayoutAttempt, exc: BaseException) -> None:
    """Something in our own code failed for one attempt (not the provider's answer): log it,
    retry the attempt's outbox row later, and once it has failed too often set it aside with an
    operations exception. The attempt's other outbox neighbours are not affected."""
    logger.exception("attempt %s: %s", attempt.id, exc)
    error = f"{type(exc).__name__}: {exc}"[:500]
    with transaction.atomic():
        if outbox.later(outbox.SUBMIT, attempt.id, error):
            exception_open(
                kind=ExceptionKind.DEAD_LETTER,
                key=f"dead_letter:{outbox.SUBMIT}:{attempt.id}",
                detail=(
                    f"attempt {attempt.number} of payout {attempt.payout_id} could not be sent "
                    f"or resolved and was set aside ({type(exc).__name__}); the provider may or "
                    "may not hold it: check by its idempotency key, then resolve here"
                ),
                payout_id=attempt.payout_id,
                attempt_id=attempt.id,
                data={"idempotency_key": attempt.idempotency_key, "error": error},
            )


def no_answer_dead_letter(attempt: PayoutAttempt, error: str) -> None:
    exception_open(
        kind=ExceptionKind.DEAD_LETTER,
        key=f"dead_letter:{outbox.SUBMIT}:{attempt.id}",
        detail=(
            f"attempt {attempt.number} of payout {attempt.payout_id}: the provider could not "
            "be asked about it, try after try; it was set aside"
        ),
        payout_id=attempt.payout_id,
        attempt_id=attempt.id,
        data={"idempotency_key": attempt.idempotency_key, "error": error[:500]},
    )
