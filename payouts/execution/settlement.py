"""What providers tell us after submission: paid, failed, returned.

Events arrive by signed callback or by polling the provider's event feed. Either way they are
stored once per provider event id (``provider_events_store``), then applied in the order the
provider emitted them (``provider_events_apply``): each moves its payout and posts its entry
exactly once. A duplicate is dropped at the door; a late or out-of-order one moves nothing it
should not: a return seen before the payment first settles, then returns the payout.

An event that contradicts what we know (paid after the payout failed, a second settlement, an
amount or currency we did not send, an attempt we never made) is never dropped: it opens an
operations exception, and money that moved without a live payout to carry it goes to suspense.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from core.db.bulk import rows_update
from ledger import services as ledger
from ledger.types import EntrySpec
from payouts.exceptions.models import ExceptionKind as K
from payouts.exceptions.models import OperationsException
from payouts.exceptions.services import exception_open
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
        misfits: list[_Misfit] = []
        for event in events:
            key = event.idempotency_key
            event.outcome = _plan(event, attempts.get(key), payouts, steps, misfits)
            event.processed_at = timezone.now()
        # A payout can take two steps (paid, then returned): apply them wave by wave.
        for wave in range(max((len(s) for s in steps.values()), default=0)):
            transitions_apply(
                changes=[s[wave] for s in steps.values() if len(s) > wave], actor=PROVIDER
            )
        _misfits_record(misfits)
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


@dataclass
class _Misfit:
    """An event that contradicts what we know: it opens an exception (and, when money moved
    without a live payout to carry it, posts that to suspense)."""

    kind: str
    detail: str
    event: ProviderEvent
    payout: Payout | None = None
    attempt: PayoutAttempt | None = None
    data: dict[str, object] = field(default_factory=dict)
    entry: EntrySpec | None = None


def _plan(
    event: ProviderEvent,
    attempt: PayoutAttempt | None,
    payouts: dict[int, Payout],
    steps: dict[int, list[Change]],
    misfits: list[_Misfit],
) -> str:
    """Plan the moves one event calls for, given the moves already planned; returns what it did
    (stored on the event). An event that does not fit is never dropped: it becomes a misfit."""
    if attempt is None:
        misfits.append(
            _Misfit(
                K.UNMATCHED_EVENT,
                f"provider event {event.event_id} ({event.status}) names no attempt of ours",
                event,
                data={"idempotency_key": event.idempotency_key, "status": event.status},
            )
        )
        return "exception: unknown attempt"
    payout = payouts[attempt.payout_id]
    reported = (event.body.get("amount_minor"), event.body.get("currency"))
    if reported != (payout.net_minor, payout.currency):
        misfits.append(
            _Misfit(
                K.AMOUNT_MISMATCH,
                f"the provider reports {event.status} for {reported[0]} {reported[1]}; "
                f"we sent {payout.net_minor} {payout.currency}",
                event,
                payout,
                attempt,
                {
                    "sent_minor": payout.net_minor,
                    "sent_currency": payout.currency,
                    "reported_minor": reported[0],
                    "reported_currency": reported[1],
                    "status": event.status,
                },
            )
        )
        return "exception: amount or currency unlike the attempt's"
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
        misfit = _misfit(
            event, payout=payout, attempt=attempt, status=status, target=target, misfits=misfits
        )
        if misfit is None:
            return f"no change: payout is {status}"
        misfits.append(misfit)
        return f"exception: {misfit.kind} (payout is {status})"
    planned.extend(moves)
    attempt.status = _ATTEMPT_STATUS[target]
    attempt.raw_code = str(event.body.get("raw_code") or "")[:16]
    return f"payout {before} -> {moves[-1].to}"


def _misfit(
    event: ProviderEvent,
    *,
    payout: Payout,
    attempt: PayoutAttempt,
    status: PayoutStatus,
    target: TransferStatus,
    misfits: list[_Misfit],
) -> _Misfit | None:
    """What an event that moves nothing contradicts, if anything. A stale event (paid or failed
    after the payout was returned, failed twice) contradicts nothing."""
    ended = status in {S.FAILED, S.CANCELED, S.REJECTED}
    said = f"the provider reports {target} for payout {payout.id}, which is {status}"
    data: dict[str, object] = {"status": str(status), "reported": str(target)}
    book_id = payout.platform.book_id
    if target == TransferStatus.PAID and ended:
        # Money left that no live payout carries: to suspense, never to the payee.
        attempt.status = AttemptStatus.PAID
        entry = postings.suspense_out(payout, book_id, payout.net_minor, event.event_id)
        detail = f"{said}; {payout.net_minor} minor units posted from cash to suspense"
        return _Misfit(K.PAID_AFTER_FINAL, detail, event, payout, attempt, data, entry)
    if target == TransferStatus.RETURNED and ended:
        went_out = (
            any(m.kind == K.PAID_AFTER_FINAL and m.attempt is attempt for m in misfits)
            or OperationsException.objects.filter(
                attempt_id=attempt.id, kind=K.PAID_AFTER_FINAL, entry_id__isnull=False
            ).exists()
        )
        back: EntrySpec | None = None
        if went_out:  # the money that went to suspense came back
            attempt.status = AttemptStatus.RETURNED
            back = postings.suspense_in(payout, book_id, payout.net_minor, event.event_id)
        return _Misfit(K.RETURNED_AFTER_FINAL, said, event, payout, attempt, data, back)
    if target == TransferStatus.FAILED and status == S.PAID:
        return _Misfit(K.FAILED_AFTER_PAID, said, event, payout, attempt, data)
    if target == TransferStatus.PAID and status == S.PAID:
        return _Misfit(K.SECOND_SETTLEMENT, f"{said} already", event, payout, attempt, data)
    if target == TransferStatus.RETURNED and status == S.RETURNED:
        return _Misfit(K.SECOND_SETTLEMENT, f"{said} already", event, payout, attempt, data)
    return None


def _misfits_record(misfits: list[_Misfit]) -> None:
    """Post the suspense entries and open one exception per misfit (once per event)."""
    with_entries = [m for m in misfits if m.entry is not None]
    posted = ledger.entries_post(entries=[m.entry for m in with_entries if m.entry])
    entry_ids = {id(m): info.id for m, info in zip(with_entries, posted, strict=True)}
    for misfit in misfits:
        logger.warning("provider event %s: %s", misfit.event.event_id, misfit.detail)
        exception_open(
            kind=misfit.kind,
            key=f"{misfit.kind}:{misfit.event.rail}:{misfit.event.event_id}",
            detail=misfit.detail,
            platform_id=misfit.payout.platform_id if misfit.payout else None,
            payout_id=misfit.payout.id if misfit.payout else None,
            attempt_id=misfit.attempt.id if misfit.attempt else None,
            provider_event_id=misfit.event.id,
            data={**misfit.data, "event_id": misfit.event.event_id},
            entry_id=entry_ids.get(id(misfit)),
        )


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
