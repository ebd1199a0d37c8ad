"""What providers tell us after submission: paid, failed, returned.

Events arrive by signed callback or by polling the provider's event feed. Either way they are
stored once per provider event id (``provider_events_store``), then applied in the order the
provider emitted them (``provider_events_apply``): each moves its payout and posts its entry
exactly once. A duplicate is dropped at the door; a late or out-of-order one moves nothing it
should not: a return seen before the payment first settles, then returns the payout.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from core.db.bulk import rows_update
from payouts.execution import crashpoints
from payouts.execution.models import ProviderCursor, ProviderEvent
from payouts.execution.providers import provider_client
from payouts.execution.submission import (
    accounts_prefetch,
    attempts_save,
    failure_change,
    payouts_lock,
)
from payouts.lifecycle import postings
from payouts.lifecycle.models import AttemptStatus, Payout, PayoutAttempt
from payouts.lifecycle.rules import PayoutStatus
from payouts.lifecycle.transitions import Change, transitions_apply
from payouts.outbox import services as outbox
from rails.types import ProviderEvent as ProviderEventInfo
from rails.types import TransferStatus

logger = logging.getLogger(__name__)
S = PayoutStatus
PROVIDER = "system:provider"
APPLY_LIMIT = 500
_ATTEMPT_STATUS = {
    TransferStatus.PAID: AttemptStatus.PAID,
    TransferStatus.FAILED: AttemptStatus.FAILED,
    TransferStatus.RETURNED: AttemptStatus.RETURNED,
}


def provider_events_store(*, rail: str, events: Sequence[ProviderEventInfo], source: str) -> int:
    """Store events not seen before (by provider event id); returns how many were new. Their
    application is enqueued after commit (and swept if that message is lost)."""
    if not events:
        return 0
    with transaction.atomic():
        created = ProviderEvent.objects.bulk_create(
            [
                ProviderEvent(
                    rail=rail,
                    event_id=e.event_id,
                    sequence=e.sequence,
                    provider_reference=e.transfer.provider_reference,
                    idempotency_key=e.transfer.idempotency_key,
                    status=str(e.transfer.status),
                    body={
                        "failure_code": e.transfer.failure_code,
                        "raw_code": e.transfer.raw_code,
                        "failure_message": e.transfer.failure_message,
                        "amount_minor": e.transfer.amount_minor,
                        "currency": e.transfer.currency,
                    },
                    source=source,
                )
                for e in events
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        new = sum(1 for e in created if e.pk is not None)
        outbox.write(outbox.EVENTS, [None])
        outbox.kick_events()
    return new


def provider_events_apply(*, limit: int = APPLY_LIMIT) -> int:
    """Apply up to ``limit`` stored events in one transaction; returns how many were taken."""
    with transaction.atomic():
        events = list(
            ProviderEvent.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True)
            .order_by("sequence", "id")[:limit]
        )
        if not events:
            return 0
        attempts = {
            a.idempotency_key: a
            for a in PayoutAttempt.objects.filter(
                idempotency_key__in={e.idempotency_key for e in events}
            )
        }
        payouts = payouts_lock({a.payout_id for a in attempts.values()})
        accounts_prefetch(list(payouts.values()))
        # Refresh the attempts under the payout locks: a concurrent outcome record may have
        # changed them.
        attempts = {
            a.idempotency_key: a
            for a in PayoutAttempt.objects.filter(pk__in=[a.pk for a in attempts.values()])
        }
        steps: dict[int, list[Change]] = defaultdict(list)
        for event in events:
            event.outcome = _plan(event, attempts.get(event.idempotency_key), payouts, steps)
            event.processed_at = timezone.now()
        # A payout can take two steps (paid, then returned): apply them wave by wave.
        for wave in range(max((len(s) for s in steps.values()), default=0)):
            transitions_apply(
                changes=[s[wave] for s in steps.values() if len(s) > wave], actor=PROVIDER
            )
        crashpoints.crashpoint(crashpoints.MID_SETTLEMENT)
        attempts_save(list(attempts.values()), ["status", "provider_reference", "raw_code"])
        rows_update(
            ProviderEvent,
            ids=[e.id for e in events],
            columns={
                "outcome": [e.outcome[:200] for e in events],
                "processed_at": [e.processed_at for e in events],
            },
        )
        if len(events) == limit:
            outbox.kick_events()  # more may be waiting
        else:
            outbox.done_all(outbox.EVENTS)
    return len(events)


def _plan(
    event: ProviderEvent,
    attempt: PayoutAttempt | None,
    payouts: dict[int, Payout],
    steps: dict[int, list[Change]],
) -> str:
    """Plan the moves one event calls for, given the moves already planned; returns what it did
    (stored on the event)."""
    if attempt is None:
        logger.warning("provider event %s names an unknown attempt", event.event_id)
        return "ignored: unknown attempt"
    payout = payouts[attempt.payout_id]
    if attempt.status == AttemptStatus.SUBMITTING:
        # The provider accepted it and we never recorded that (a crash, a lost response).
        attempt.status = AttemptStatus.ACCEPTED
    attempt.provider_reference = attempt.provider_reference or event.provider_reference
    planned = steps[payout.id]
    status = planned[-1].to if planned else PayoutStatus(payout.status)
    before = status
    target = TransferStatus(event.status)
    book_id = payout.platform.book_id
    moves: list[Change] = []
    if target in {TransferStatus.PAID, TransferStatus.RETURNED} and status == S.PROCESSING:
        moves.append(
            Change(payout, S.PAID, entry=postings.settle(payout, book_id), reason="settled")
        )
        status = S.PAID
    if target == TransferStatus.RETURNED and status == S.PAID:
        code = event.body.get("failure_code") or "returned"
        moves.append(
            Change(
                payout,
                S.RETURNED,
                entry=postings.return_(payout, book_id),
                reason=f"returned by the rail ({event.body.get('raw_code') or code})",
                failure_code=code,
                failure_message=event.body.get("failure_message") or "",
            )
        )
    if target == TransferStatus.FAILED and status == S.PROCESSING:
        moves.append(
            failure_change(
                payout,
                event.body.get("failure_code") or "failed",
                event.body.get("failure_message") or "",
            )
        )
    if not moves:
        return f"no change: payout is {status}"
    planned.extend(moves)
    attempt.status = _ATTEMPT_STATUS[target]
    attempt.raw_code = str(event.body.get("raw_code") or "")[:16]
    return f"payout {before} -> {moves[-1].to}"


def provider_events_poll(*, rail: str = "sandbox", max_pages: int = 20) -> int:
    """Read the provider's event feed from where we left off and store what is new; returns how
    many events were read. The HTTP calls happen outside any transaction."""
    cursor, _ = ProviderCursor.objects.get_or_create(rail=rail)
    after = cursor.sequence
    read = 0
    client = provider_client(rail)
    for _ in range(max_pages):
        events, has_more = client.events_after(after)
        if events:
            provider_events_store(rail=rail, events=events, source="poll")
            after = max(e.sequence for e in events)
            read += len(events)
            ProviderCursor.objects.filter(pk=cursor.pk, sequence__lt=after).update(sequence=after)
        if not has_more:
            break
    return read
