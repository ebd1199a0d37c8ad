"""The one place a payout's status changes.

``transitions_apply`` checks every change against the published table (``payouts.lifecycle.rules``),
posts the ledger entries the posting rules call for, updates the payouts and records each
transition (from, to, actor, reason, time, entry), and writes the published events
(``payout.created``, ``payout.paid``, ...; ``webhooks.events``), all in the caller's
transaction: a status never moves without its entry and its event, and an entry is never posted
without its status change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from core.db.bulk import instances_insert, rows_update
from ledger import errors as ledger_errors
from ledger import services as ledger
from ledger.types import EntrySpec
from payouts.common.errors import InvalidTransition, insufficient_funds
from payouts.lifecycle import events
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.lifecycle.rules import PayoutStatus, is_allowed
from payouts.outbox import services as outbox

MAX_REASON = 500


@dataclass
class Change:
    """One payout's move. ``payout`` must be locked (``select_for_update``) by the caller."""

    payout: Payout
    to: PayoutStatus
    entry: EntrySpec | None = None
    reason: str = ""
    failure_code: str = ""
    failure_message: str = ""


def transitions_apply(*, changes: Sequence[Change], actor: str) -> list[PayoutTransition]:
    """Apply many status changes at once: all of them or none.

    Raises ``InvalidTransition`` when the table forbids one, and ``InsufficientFunds`` when an
    entry would take an account below its floor; the caller's transaction then rolls back.
    """
    if not changes:
        return []
    assert connection.in_atomic_block, "a transition joins its caller's transaction"
    for change in changes:
        if not is_allowed(change.payout.status, change.to):
            raise InvalidTransition(
                f"payout {change.payout.id} cannot move from {change.payout.status} to {change.to}",
                payout_id=change.payout.id,
                status=change.payout.status,
                to=str(change.to),
            )
    with_entries = [c for c in changes if c.entry is not None]
    try:
        posted = ledger.entries_post(entries=[c.entry for c in with_entries if c.entry])
    except ledger_errors.BelowFloor as exc:
        raise insufficient_funds(exc, "the balance does not cover this payout") from None
    entry_ids = {id(c): info.id for c, info in zip(with_entries, posted, strict=True)}
    now = timezone.now()
    records = []
    for change in changes:
        payout = change.payout
        records.append(
            PayoutTransition(
                payout=payout,
                from_status=payout.status,
                to_status=change.to,
                actor=actor[:200],
                reason=change.reason[:MAX_REASON],
                entry_id=entry_ids.get(id(change)),
                at=now,
            )
        )
        payout.status = change.to
        payout.updated = now
        if change.failure_code:
            payout.failure_code = change.failure_code[:64]
            payout.failure_message = change.failure_message[:500]
    fields = ["status", "updated", "failure_code", "failure_message", "scheduled_for"]
    payouts = [c.payout for c in changes]
    if len(changes) == 1:
        changes[0].payout.save(update_fields=fields)
        recorded = [*PayoutTransition.objects.bulk_create(records)]
    else:
        rows_update(
            Payout,
            ids=[p.id for p in payouts],
            columns={name: [getattr(p, name) for p in payouts] for name in fields},
        )
        recorded = instances_insert(records)
    # A payout that leaves `scheduled` (submitted, canceled, failed) no longer needs executing.
    left = [r.payout_id for r in records if r.from_status == PayoutStatus.SCHEDULED]
    outbox.done(outbox.EXECUTE, left)
    # payout.processing, payout.paid, ...: written with the change itself (the outbox).
    events.payout_status_events_emit(payouts=payouts)
    return recorded


def transition_created(*, payout: Payout, actor: str, entry: EntrySpec) -> PayoutTransition:
    """Record a new payout's first status with its entry (the hold), in the caller's
    transaction. Raises ``InsufficientFunds`` when the available balance does not cover it."""
    assert transaction.get_connection().in_atomic_block
    try:
        info = ledger.entry_post(
            book_id=entry.book_id,
            kind=entry.kind,
            lines=entry.lines,
            idempotency_key=entry.idempotency_key,
            memo=entry.memo,
            refs=entry.refs,
        )
    except ledger_errors.BelowFloor as exc:
        raise insufficient_funds(
            exc, "the payee's available balance does not cover this payout"
        ) from None
    return PayoutTransition.objects.create(
        payout=payout, from_status="", to_status=payout.status, actor=actor[:200], entry_id=info.id
    )
