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


def lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.PAYOUTS_OUTBOX_LEASE_S)


def write(
    kind: str,
    object_ids: Iterable[int | None],
    *,
    leased: bool = False,
    payload: dict[str, object] | None = None,
) -> None:
    """Insert one row per object in the caller's transaction. ``leased`` rows belong to this
    worker for ``lease()`` (it is about to do the work itself)."""
    assert connection.in_atomic_block, "an outbox row joins the state change's transaction"
    now = timezone.now()
    until = now + lease() if leased else None
    ids = list(object_ids)
    rows_insert(
        OutboxMessage,
        count=len(ids),
        columns={
            "kind": [kind] * len(ids),
            "object_id": ids,
            "payload": [payload or {}] * len(ids),
            "available_at": [until or now] * len(ids),
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


def later(kind: str, object_id: int, error: str) -> None:
    """Release a row to be retried after an exponential backoff."""
    row = OutboxMessage.objects.filter(
        kind=kind, object_id=object_id, processed_at__isnull=True
    ).first()
    if row is None:
        return
    delay = min(2 ** min(row.attempts, 8), MAX_BACKOFF_S)
    OutboxMessage.objects.filter(pk=row.pk).update(
        attempts=row.attempts + 1,
        available_at=timezone.now() + dt.timedelta(seconds=delay),
        locked_until=None,
        last_error=error[:500],
    )


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
