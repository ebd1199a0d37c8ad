"""Carrying payouts to their rail: claim, submit, learn the outcome.

1. ``payouts_start_due`` claims due payouts (``FOR UPDATE SKIP LOCKED``), creates one attempt
   each with a fresh provider idempotency key, posts the submit entries, moves them to
   ``processing``, writes a leased outbox row per attempt, and commits.
2. Only then ``attempts_call`` calls the provider, outside any transaction and lock.
3. ``attempt_outcomes_record`` records what the provider said. An unknown outcome (timeout,
   5xx, a crash before recording) leaves the attempt ``submitting``: ``attempts_resolve`` asks the
   provider about that key, or resubmits with the same key. Never a fresh submission.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from core.db.bulk import instances_insert, rows_update
from core.db.names import table
from payouts.common import accounts
from payouts.common.errors import InsufficientFunds
from payouts.execution import crashpoints
from payouts.execution.providers import provider_client, submit_request
from payouts.execution.trouble import attempt_trouble, no_answer_dead_letter
from payouts.lifecycle import postings
from payouts.lifecycle.models import AttemptStatus, Payout, PayoutAttempt
from payouts.lifecycle.rules import PayoutStatus
from payouts.lifecycle.transitions import Change, transitions_apply
from payouts.outbox import services as outbox
from payouts.payees.payability import submission_blocker
from rails.types import OutcomeKind, SubmitOutcome, SubmitRequest

logger = logging.getLogger(__name__)
S = PayoutStatus
WORKER = "system:worker"
CLAIM_LIMIT = outbox.SUBMIT_CHUNK
CALL_THREADS = outbox.CALL_THREADS

_pool = ThreadPoolExecutor(max_workers=CALL_THREADS, thread_name_prefix="provider-call")


@dataclass(frozen=True)
class Started:
    attempt_id: int
    rail: str
    request: SubmitRequest


def payouts_start_due(*, limit: int = CLAIM_LIMIT) -> list[Started]:
    """Claim up to ``limit`` due payouts and start an attempt for each; commits before it
    returns, so the submit entries exist before anything reaches a provider. A payout whose
    platform-borne fee its funding cannot cover fails here, its hold released."""
    now = timezone.now()
    with transaction.atomic():
        payouts = list(
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("platform", "method", "payee")
            .filter(status=S.SCHEDULED, scheduled_for__lte=now)
            .order_by("scheduled_for", "id")[:limit]
        )
        if not payouts:
            return []
        accounts_prefetch(payouts)
        claimed = len(payouts)
        payouts = _still_payable(payouts)
        if not payouts:
            if claimed == limit:
                outbox.kick_execution()  # more may be due behind the ones that stopped
            return []
        numbers = dict(
            PayoutAttempt.objects.filter(payout__in=payouts)
            .values_list("payout_id")
            .annotate(Max("number"))
        )
        changes = {
            p.id: Change(
                p,
                S.PROCESSING,
                entry=postings.submit(p, p.platform.book_id, numbers.get(p.id, 0) + 1),
                reason=f"submitted to {p.rail}",
            )
            for p in payouts
        }
        submitted = _submit_entries(list(changes.values()))
        attempts = instances_insert(
            [
                PayoutAttempt(
                    payout=c.payout,
                    number=numbers.get(c.payout.id, 0) + 1,
                    rail=c.payout.rail,
                    idempotency_key=f"att_{uuid.uuid4().hex}",
                    status=AttemptStatus.SUBMITTING,
                )
                for c in submitted
            ]
        )
        outbox.write(outbox.SUBMIT, [a.id for a in attempts], leased=True)
    crashpoints.crashpoint(crashpoints.AFTER_ATTEMPT_COMMIT)
    by_id = {p.id: p for p in payouts}
    started = []
    for a in attempts:
        try:  # one attempt's trouble (a secret that does not decrypt, say) is its own
            started.append(
                Started(a.id, a.rail, submit_request(by_id[a.payout_id], a.idempotency_key))
            )
        except Exception as exc:  # noqa: BLE001 - isolated, recorded and retried
            attempt_trouble(a, exc)
    return started


def _still_payable(payouts: list[Payout]) -> list[Payout]:
    """The payouts that may still go out; each of the others fails before submission (nothing
    sent), its hold released, with the blocker's code (``payee_blocked``, ``method_disabled``,
    ...) and a ``payout.failed`` event saying why."""
    stopped, payable = [], []
    for payout in payouts:
        blocker = submission_blocker(payout.payee, payout.method, payout.currency)
        if blocker is None:
            payable.append(payout)
            continue
        stopped.append(
            Change(
                payout,
                S.FAILED,
                entry=postings.release(payout, payout.platform.book_id, "failed"),
                reason=f"not submitted: {blocker.message}",
                failure_code=blocker.code,
                failure_message=blocker.message,
            )
        )
    if stopped:
        transitions_apply(changes=stopped, actor=WORKER)
    return payable


def accounts_prefetch(payouts: Sequence[Payout]) -> None:
    """One query for the chunk's ledger accounts instead of one per posting line."""
    wanted: dict[tuple[int, str], set[str]] = {}
    for p in payouts:
        codes = wanted.setdefault((p.platform.book_id, p.currency), set())
        codes.update(
            (
                accounts.available_code(p.payee_id),
                accounts.held_code(p.payee_id),
                accounts.in_transit_code(p.rail),
            )
        )
    for (book_id, currency), codes in wanted.items():
        accounts.prefetch(book_id=book_id, currency=currency, codes=codes)


def _submit_entries(changes: list[Change]) -> list[Change]:
    """Post the submit entries of all, or (when one fails for funds) of each that can; fail the
    others before any money moved. Returns the changes that went through."""
    try:
        with transaction.atomic():
            transitions_apply(changes=changes, actor=WORKER)
    except InsufficientFunds:
        pass
    else:
        return changes
    done = []
    for change in changes:
        try:
            with transaction.atomic():
                transitions_apply(changes=[change], actor=WORKER)
            done.append(change)
        except InsufficientFunds as exc:
            payout = change.payout
            transitions_apply(
                changes=[
                    Change(
                        payout,
                        S.FAILED,
                        entry=postings.release(payout, payout.platform.book_id, "failed"),
                        reason="the fee could not be paid from the platform's funding",
                        failure_code=exc.code,
                        failure_message=exc.message,
                    )
                ],
                actor=WORKER,
            )
    return done


def attempts_call(started: Sequence[Started]) -> list[tuple[int, SubmitOutcome]]:
    """Send each attempt to its provider, concurrently, outside any transaction. Never raises
    for a provider's trouble: that is an UNKNOWN outcome."""
    if not started:
        return []
    outcomes = list(_pool.map(_call_one, started))
    crashpoints.crashpoint(crashpoints.AFTER_PROVIDER_ACCEPT)
    return outcomes


def _call_one(started: Started) -> tuple[int, SubmitOutcome]:
    """One attempt's call; a failure of our own (no adapter, a bug) is an UNKNOWN outcome for
    that attempt alone, resolved by key later like any other."""
    try:
        return started.attempt_id, provider_client(started.rail).submit(started.request)
    except Exception as exc:
        logger.exception("attempt %s: the call failed on our side", started.attempt_id)
        return started.attempt_id, SubmitOutcome(
            OutcomeKind.UNKNOWN, "", "internal_error", f"{type(exc).__name__}: {exc}"[:200]
        )


def attempt_outcomes_record(outcomes: Sequence[tuple[int, SubmitOutcome]]) -> None:
    """Record what providers answered, once: an attempt no longer ``submitting`` (a provider
    event got there first) is left as it is. A rejection fails the payout and reverses the
    submit entry's effect; an unknown outcome is retried later with the same key."""
    if not outcomes:
        return
    with transaction.atomic():
        # Rejections first: they lock payouts, then attempts, the order every writer uses.
        done = _rejections_record([o for o in outcomes if o[1].kind is OutcomeKind.REJECTED])
        others = [o for o in outcomes if o[1].kind is not OutcomeKind.REJECTED]
        if others:
            done += _answers_record(others)
        outbox.done(outbox.SUBMIT, done)


def _answers_record(outcomes: Sequence[tuple[int, SubmitOutcome]]) -> list[int]:
    """Accepted and unknown answers touch only their attempts: one UPDATE that skips any
    attempt no longer ``submitting`` (a provider event that got there first wins, whichever
    commits first). Returns the attempts that need no more work."""
    ids, statuses, references, errors = [], [], [], []
    for attempt_id, outcome in outcomes:
        ids.append(attempt_id)
        if outcome.kind is OutcomeKind.ACCEPTED:
            statuses.append(AttemptStatus.ACCEPTED.value)
            references.append(outcome.provider_reference)
            errors.append("")
        else:
            statuses.append(AttemptStatus.SUBMITTING.value)
            references.append("")
            errors.append(f"{outcome.failure_code}: {outcome.failure_message}"[:500])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table(PayoutAttempt)} AS t
               SET status = v.status,
                   provider_reference = CASE WHEN v.reference <> '' THEN v.reference
                                             ELSE t.provider_reference END,
                   submit_calls = t.submit_calls + 1,
                   last_error = v.error,
                   updated = now()
              FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[])
                   AS v(id, status, reference, error)
             WHERE t.id = v.id AND t.status = %s
            RETURNING t.id, t.status, t.last_error
            """,
            [ids, statuses, references, errors, AttemptStatus.SUBMITTING.value],
        )
        rows = cursor.fetchall()
    set_aside = [
        attempt_id
        for attempt_id, status, error in rows
        if status == AttemptStatus.SUBMITTING and outbox.later(outbox.SUBMIT, attempt_id, error)
    ]
    for attempt in PayoutAttempt.objects.filter(pk__in=set_aside):
        no_answer_dead_letter(attempt, attempt.last_error)
    return [attempt_id for attempt_id, status, _ in rows if status != AttemptStatus.SUBMITTING]


def _rejections_record(outcomes: Sequence[tuple[int, SubmitOutcome]]) -> list[int]:
    if not outcomes:
        return []
    by_attempt = dict(outcomes)
    payout_ids = set(
        PayoutAttempt.objects.filter(pk__in=by_attempt).values_list("payout_id", flat=True)
    )
    payouts = payouts_lock(payout_ids)
    attempts = list(
        PayoutAttempt.objects.select_for_update()
        .filter(pk__in=by_attempt, status=AttemptStatus.SUBMITTING)
        .order_by("id")
    )
    failed: list[Change] = []
    for attempt in attempts:
        outcome = by_attempt[attempt.id]
        attempt.submit_calls += 1
        attempt.status = AttemptStatus.REJECTED
        attempt.last_error = outcome.failure_message[:500]
        payout = payouts[attempt.payout_id]
        if payout.status == S.PROCESSING:
            failed.append(failure_change(payout, outcome.failure_code, outcome.failure_message))
    attempts_save(attempts, ["status", "submit_calls", "last_error"])
    transitions_apply(changes=failed, actor=WORKER)
    return [a.id for a in attempts]


def attempts_save(attempts: list[PayoutAttempt], fields: list[str]) -> None:
    """Write these fields (and ``updated``) of many attempts in one statement."""
    now = timezone.now()
    for attempt in attempts:
        attempt.updated = now
    rows_update(
        PayoutAttempt,
        ids=[a.id for a in attempts],
        columns={name: [getattr(a, name) for a in attempts] for name in [*fields, "updated"]},
    )


def failure_change(payout: Payout, code: str, message: str) -> Change:
    return Change(
        payout,
        S.FAILED,
        entry=postings.fail(payout, payout.platform.book_id),
        reason=f"the rail reported {code}",
        failure_code=code,
        failure_message=message,
    )


def payouts_lock(ids: set[int]) -> dict[int, Payout]:
    """Lock payouts in ascending id order (every writer does, so none deadlock)."""
    return {
        p.id: p
        for p in Payout.objects.select_for_update(of=("self",))
        .select_related("platform")
        .filter(pk__in=ids)
        .order_by("id")
    }


def execute_due(*, budget_s: float = 20.0) -> int:
    """Start, call and record due payouts in rounds until none is due; returns how many were
    submitted. After ``budget_s`` it hands over to a fresh task, so settlement and other work
    queued meanwhile get a worker between rounds."""
    total = 0
    deadline = time.monotonic() + budget_s
    while started := payouts_start_due():
        attempt_outcomes_record(attempts_call(started))
        total += len(started)
        if time.monotonic() > deadline:
            outbox.kick_execution()
            break
    logger.info("submitted %d payouts", total)
    return total
