"""The transactional outbox: work written with the state change that calls for it.

A row is inserted in the caller's transaction; after commit a task is enqueued to do the work
at once; ``payouts.sweep`` (beat) claims any row still due, so a lost message delays work and
never loses it. Claims are leases (``locked_until``): a worker that dies lets its lease lapse
and another takes the row over. Handlers are idempotent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as OperationalError_

from core.db.bulk import rows_insert
from core.db.names import table
from payouts.outbox.models import OutboxMessage

logger = logging.getLogger(__name__)

EXECUTE = "payout.execute"  # a payout is due for submission
SUBMIT = "attempt.submit"  # an attempt must reach the provider (or its outcome be learned)
EVENTS = "provider.events"  # provider events wait to be applied
BATCH = "batch.execute"  # an approved batch's items wait to become payouts

MAX_BACKOFF_S = 300
# The size of a submission chunk and the threads that call the provider for it (execution uses
# these; the lease is derived from them).
SUBMIT_CHUNK = 250
CALL_THREADS = 16
WORK_MARGIN_S = 10
# How long one resolver task works through claimed attempts before handing the rest back.
RESOLVE_BUDGET_S = 60.0


def lease(*, calls: int | None = None) -> dt.timedelta:
    """How long a claim lasts: the setting, and never less than the longest the work it covers
    can take, so a worker that is still busy never sees its work handed to another. ``calls``:
    a chunk of that many submissions (written leased by the worker about to send them); else a
    claim by the sweeper, whose submit rows go to a resolver bounded by ``RESOLVE_BUDGET_S``."""
    work = submit_work_s(calls) if calls is not None else resolve_work_s()
    return dt.timedelta(seconds=max(settings.PAYOUTS_OUTBOX_LEASE_S, work))


def _call_s() -> float:
    # Every phase of a provider call (connect, send, read) is bounded by the provider timeout.
    return 3 * settings.PROVIDER_TIMEOUT_S


def submit_work_s(calls: int) -> float:
    """The longest ``calls`` submissions can take over ``CALL_THREADS`` threads, each bounded by
    the provider timeout in every phase, plus the database work around them."""
    rounds = -(-max(calls, 1) // CALL_THREADS)
    return rounds * _call_s() + WORK_MARGIN_S


def resolve_work_s() -> float:
    """The longest a resolver holds claimed attempts: its budget, then the attempt it is in the
    middle of (a status read and a resubmission)."""
    return RESOLVE_BUDGET_S + 2 * _call_s() + WORK_MARGIN_S


def longest_work_s() -> float:
    """The longest any leased work takes: a full chunk of submissions, or a resolver's round."""
    return max(submit_work_s(SUBMIT_CHUNK), resolve_work_s())


def purge(*, older_than: dt.timedelta, limit: int = 10_000) -> int:
    """Delete up to ``limit`` processed rows older than ``older_than`` (rows set aside are
    kept: their exceptions point at them). Returns how many went."""
    cutoff = timezone.now() - older_than
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            DELETE FROM {table(OutboxMessage)} WHERE id IN (
              SELECT id FROM {table(OutboxMessage)}
               WHERE processed_at < %s AND dead_at IS NULL
               ORDER BY id LIMIT %s)
            """,
            [cutoff, limit],
        )
        return cursor.rowcount


def write(
    kind: str,
    object_ids: Iterable[int | None],
    *,
    leased: bool = False,
    payload: dict[str, object] | None = None,
    due: dt.datetime | None = None,
) -> None:
    """Insert one row per object in the caller's transaction. ``leased`` rows belong to this
    worker for ``lease()`` (it is about to do the work itself); ``due`` rows wait until then."""
    assert connection.in_atomic_block, "an outbox row joins the state change's transaction"
    now = timezone.now()
    ids = list(object_ids)
    until = now + lease(calls=len(ids)) if leased else None
    rows_insert(
        OutboxMessage,
        count=len(ids),
        columns={
            "kind": [kind] * len(ids),
            "object_id": ids,
            "payload": [payload or {}] * len(ids),
            "available_at": [until or max(due or now, now)] * len(ids),
            "locked_until": [until] * len(ids),
        },
    )


def done(kind: str, object_ids: Iterable[int]) -> None:
    """Mark the rows of these objects processed (one statement, however many)."""
    ids = list(object_ids)
    if ids:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                UPDATE {table(OutboxMessage)} SET processed_at = now(), locked_until = NULL
                 WHERE kind = %s AND object_id = ANY(%s::bigint[]) AND processed_at IS NULL
                """,
                [kind, ids],
            )


def done_all(kind: str) -> None:
    """Mark every pending row of a kind processed (its handler has emptied what it stands for)."""
    OutboxMessage.objects.filter(kind=kind, processed_at__isnull=True).update(
        processed_at=timezone.now(), locked_until=None
    )


def later(kind: str, object_id: int, error: str) -> bool:
    """Release a row to be retried after an exponential backoff; after
    ``PAYOUTS_OUTBOX_MAX_TRIES`` tries set it aside instead (dead-lettered). Returns True when it
    was just set aside: the caller opens an exception, so a person takes it from there."""
    row = OutboxMessage.objects.filter(
        kind=kind, object_id=object_id, processed_at__isnull=True
    ).first()
    if row is None:
        return False
    now = timezone.now()
    tries = row.attempts + 1
    if tries >= settings.PAYOUTS_OUTBOX_MAX_TRIES:
        OutboxMessage.objects.filter(pk=row.pk).update(
            attempts=tries, locked_until=None, last_error=error[:500], processed_at=now, dead_at=now
        )
        logger.error("%s %s set aside after %d tries: %s", kind, object_id, tries, error)
        return True
    delay = min(2 ** min(row.attempts, 8), MAX_BACKOFF_S)
    OutboxMessage.objects.filter(pk=row.pk).update(
        attempts=tries,
        available_at=now + dt.timedelta(seconds=delay),
        locked_until=None,
        last_error=error[:500],
    )
    return False


def release(kind: str, object_ids: Iterable[int]) -> None:
    """Hand leased rows back at once (the worker ran out of time before reaching them)."""
    ids = list(object_ids)
    if ids:
        OutboxMessage.objects.filter(
            kind=kind, object_id__in=ids, processed_at__isnull=True
        ).update(locked_until=None, available_at=timezone.now())


def claim(*, limit: int = 500) -> list[OutboxMessage]:
    """Lease up to ``limit`` due rows (not processed, not leased) in one short transaction."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, available_at__lte=now)
            .order_by("available_at", "id")[:limit]
        )
        if rows:
            OutboxMessage.objects.filter(pk__in=[r.pk for r in rows]).update(
                locked_until=now + lease(), available_at=now + lease()
            )
    return rows


def _enqueue_once(name: str) -> None:
    """Enqueue task ``name`` after the current transaction commits, once per transaction."""
    if not connection.in_atomic_block:
        _send(name)
        return
    # run_on_commit holds (savepoint ids, callback, robust) for this transaction.
    if any(getattr(item[1], "_kick", None) == name for item in connection.run_on_commit):
        return

    def send() -> None:
        _send(name)

    send._kick = name  # type: ignore[attr-defined]
    transaction.on_commit(send)


def _send(name: str) -> None:
    # A lost message only delays the work: the sweeper finds the outbox row (or the due payout)
    # and enqueues it again. So a broker hiccup here must not fail the committed request.
    try:
        current_app.send_task(name)
    except OperationalError_ as exc:
        logger.warning("could not enqueue %s (the sweeper will): %s", name, exc)


def batch_enqueue(batch_id: int) -> None:
    """In the caller's transaction: a batch is owed its execution. The task is sent after
    commit; if that message is lost, the sweeper sends it again."""
    write(BATCH, [batch_id])

    def send() -> None:
        try:
            current_app.send_task("payouts.execute_batch", args=[batch_id])
        except OperationalError_ as exc:
            logger.warning("could not enqueue batch %s (the sweeper will): %s", batch_id, exc)

    transaction.on_commit(send)


def kick_execution() -> None:
    _enqueue_once("payouts.execute")


def kick_events() -> None:
    _enqueue_once("payouts.apply_events")
