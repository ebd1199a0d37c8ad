"""Payout batches (docs/architecture.md): many items, each checked on its own, quoted, approved
once (maker-checker above the platform's threshold) and executed together.

One bad row never sinks a batch: every item is validated as a single payout would be, and ends
with its own result. Execution lives in ``payouts.batches.execution``; reading items from
JSON or CSV in ``payouts.batches.input``; bulk quoting in ``payouts.batches.quotes``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from core.db.bulk import rows_insert
from core.errors import DomainError, InvalidInput
from ledger.money import from_minor
from payouts.batches import events
from payouts.batches.execution import batch_items_execute, error_text
from payouts.batches.input import MAX_DESCRIPTION, Row, csv_rows, items_rows
from payouts.batches.models import BatchStatus, ItemStatus, PayoutBatch, PayoutBatchItem
from payouts.batches.quotes import BatchQuoter
from payouts.batches.selectors import batch_find
from payouts.common.errors import ApproverIsCreator, BatchNotFound, InvalidTransition
from payouts.lifecycle.quotes import Quote
from payouts.lifecycle.rules import PayoutStatus as S
from payouts.outbox import services as outbox
from payouts.platforms.models import Platform
from payouts.platforms.selectors import thresholds_get

BULK = 2000
SOURCES = ("json", "csv")
# A payout in one of these is done as far as its batch is concerned (paid may still be returned,
# but that is the payout's story, not the batch's).
SETTLED_STATUSES = (S.PAID, S.FAILED, S.RETURNED, S.CANCELED, S.REJECTED)

ITEM_COLUMNS = (
    "line",
    "data",
    "status",
    "payee_id",
    "method_id",
    "currency",
    "amount_minor",
    "fee_minor",
    "error_code",
    "error_message",
)

__all__ = [
    "BatchResults",
    "ItemResult",
    "batch_approve",
    "batch_cancel",
    "batch_create",
    "batch_create_from_csv",
    "batch_execute",
    "batch_refresh_status",
    "batch_results",
    "batches_refresh",
]


def batch_create(
    *,
    platform: Platform,
    items: list[dict[str, object]],
    actor: str,
    description: str = "",
    source: str = "json",
    execute_now: bool = True,
) -> PayoutBatch:
    """Accept a batch of up to 100,000 items (``{"payee" (or "payee_external_id"),
    "payout_method", "amount", "currency", "speed"?, "description"?}``), each validated as
    ``payout_quote`` would.

    Valid items are quoted and totalled per currency in ``batch.quote``; invalid ones keep the
    error's code and message. When a currency's total reaches the platform's approval
    threshold, the batch waits in ``awaiting_approval`` for someone other than ``actor``;
    otherwise it is approved and executed at once (see ``batch_execute``; should that be cut
    short, the batch stays ``approved`` and ``payouts.execute_batch`` finishes it), or, with
    ``execute_now=False``, by that task after commit (through the outbox). Raises
    ``InvalidInput`` for an empty or oversized list, a bad description or source; nothing is
    created then."""
    if source not in SOURCES:
        raise InvalidInput(f"source is one of {', '.join(SOURCES)}", field="source")
    _check_description(description)
    rows = items_rows(items, platform)
    return _create(platform, rows, actor, description, source, execute_now=execute_now)


def batch_create_from_csv(
    *,
    platform: Platform,
    csv_text: str,
    actor: str,
    description: str = "",
    execute_now: bool = True,
) -> PayoutBatch:
    """``batch_create`` from a CSV file with a header row: ``payee`` (an id) or ``external_id``,
    ``payout_method``, ``amount``, ``currency``, and optionally ``speed`` and ``description``.
    A malformed row becomes an invalid item naming its line, never an error. Raises
    ``InvalidInput`` for a missing or unusable header, no rows or more than 100,000."""
    _check_description(description)
    rows = csv_rows(platform, csv_text)
    return _create(platform, rows, actor, description, "csv", execute_now=execute_now)


def _check_description(description: object) -> None:
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"description is at most {MAX_DESCRIPTION} characters", field="description"
        )


def _create(
    platform: Platform,
    rows: list[Row],
    actor: str,
    description: str,
    source: str,
    *,
    execute_now: bool,
) -> PayoutBatch:
    quoter = BatchQuoter(platform=platform, requests=(r.request for r in rows if r.request))
    values: list[tuple[object, ...]] = []  # one per item, in ITEM_COLUMNS order
    # currency -> [count, amount, fee, net] in minor units
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    invalid = 0
    for row in rows:
        result: Quote | DomainError
        if row.request is None:
            assert row.error is not None, "a row has a request or an error"
            result = row.error
        else:
            result = quoter.quote(row.request)
        if isinstance(result, DomainError):
            invalid += 1
            error = (result.code[:64], error_text(result))
            values.append(
                (row.line, row.data, ItemStatus.INVALID, None, None, "", None, None, *error)
            )
            continue
        quoted = (result.currency, result.amount_minor, result.fee_minor)
        values.append(
            (
                row.line,
                row.data,
                ItemStatus.VALID,
                result.payee.id,
                result.method.id,
                *quoted,
                "",
                "",
            )
        )
        total = totals[result.currency]
        for index, value in enumerate((1, result.amount_minor, result.fee_minor, result.net_minor)):
            total[index] += value
    thresholds = thresholds_get(platform_id=platform.id)
    needs_approval = any(
        thresholds.requires_approval(currency, total[1]) for currency, total in totals.items()
    )
    columns = dict(zip(ITEM_COLUMNS, (list(c) for c in zip(*values, strict=True)), strict=True))
    with transaction.atomic():
        batch = PayoutBatch.objects.create(
            platform=platform,
            status=BatchStatus.AWAITING_APPROVAL if needs_approval else BatchStatus.APPROVED,
            description=description,
            source=source,
            quote={currency: _money(currency, total) for currency, total in sorted(totals.items())},
            item_count=len(values),
            invalid_count=invalid,
            requires_approval=needs_approval,
            created_by=actor[:200],
            approved_at=None if needs_approval else timezone.now(),
        )
        for start in range(0, len(values), BULK):
            part = {name: column[start : start + BULK] for name, column in columns.items()}
            count = len(part["line"])
            rows_insert(
                PayoutBatchItem, count=count, columns={"batch_id": [batch.id] * count, **part}
            )
        if not needs_approval and not execute_now:
            outbox.batch_enqueue(batch.id)
    if needs_approval or not execute_now:
        return batch
    return batch_execute(batch_id=batch.id, actor=actor)


def _money(currency: str, total: list[int]) -> dict[str, object]:
    count, amount, fee, net = total
    return {
        "count": count,
        "amount": str(from_minor(amount, currency)),
        "fee": str(from_minor(fee, currency)),
        "net": str(from_minor(net, currency)),
    }


def batch_approve(
    *, platform: Platform, batch_id: object, actor: str, execute_now: bool = True
) -> PayoutBatch:
    """The second person's approval (maker-checker) of a batch awaiting it; its payouts are
    then created and scheduled (``batch_execute``) without a further approval each. Raises
    ``InvalidTransition`` unless it is awaiting approval, ``ApproverIsCreator`` when ``actor``
    submitted it (nothing changes then), ``BatchNotFound``. ``execute_now=False`` leaves the
    execution to the ``payouts.execute_batch`` task after commit."""
    with transaction.atomic():
        batch = batch_find(platform, batch_id, lock=True)
        if batch.status != BatchStatus.AWAITING_APPROVAL:
            raise InvalidTransition(
                f"batch {batch.id} is {batch.status}, not awaiting approval", status=batch.status
            )
        if actor == batch.created_by:
            raise ApproverIsCreator("the approver must be someone other than the creator")
        batch.status = BatchStatus.APPROVED
        batch.approved_by = actor[:200]
        batch.approved_at = timezone.now()
        batch.save(update_fields=["status", "approved_by", "approved_at", "updated"])
        if not execute_now:
            outbox.batch_enqueue(batch.id)
    if not execute_now:
        return batch
    return batch_execute(batch_id=batch.id, actor=actor)


def batch_cancel(*, platform: Platform, batch_id: object, actor: str) -> PayoutBatch:
    """Cancel a batch awaiting approval: it and its valid items become ``canceled`` and no
    payout is ever created. Raises ``InvalidTransition`` for any other status (an approved
    batch's payouts are canceled one by one), ``BatchNotFound``."""
    with transaction.atomic():
        batch = batch_find(platform, batch_id, lock=True)
        if batch.status != BatchStatus.AWAITING_APPROVAL:
            raise InvalidTransition(
                f"batch {batch.id} is {batch.status}; only a batch awaiting approval can be "
                "canceled",
                status=batch.status,
            )
        batch.status = BatchStatus.CANCELED
        batch.save(update_fields=["status", "updated"])
        PayoutBatchItem.objects.filter(batch=batch, status=ItemStatus.VALID).update(
            status=ItemStatus.CANCELED
        )
    return batch


@dataclass(frozen=True)
class ItemResult:
    line: int
    status: str
    payout_id: int | None
    payout_status: str | None
    error_code: str
    error_message: str


@dataclass(frozen=True)
class BatchResults:
    batch: PayoutBatch
    counts: dict[str, int]  # item status -> how many
    items: list[ItemResult]


def batch_results(batch: PayoutBatch) -> BatchResults:
    """Selector: every item's result in line order (its payout and that payout's status, or
    its error), and how many items are in each status."""
    rows = (
        PayoutBatchItem.objects.filter(batch=batch)
        .order_by("line")
        .values_list("line", "status", "payout_id", "payout__status", "error_code", "error_message")
    )
    items = [ItemResult(*row) for row in rows.iterator(chunk_size=BULK)]
    counts = Counter(item.status for item in items)
    return BatchResults(
        batch=batch,
        counts={status: counts.get(status, 0) for status in ItemStatus.values},
        items=items,
    )


def batch_execute(*, batch_id: int, actor: str) -> PayoutBatch:
    """Execute an approved batch (``batch_items_execute``: its valid items become scheduled
    payouts with their holds, chunk by chunk), then refresh its status. Safe to run again.
    Raises ``BatchNotFound``, ``InvalidTransition`` unless approved (or completed)."""
    batch_items_execute(batch_id=batch_id, actor=actor)
    outbox.done(outbox.BATCH, [batch_id])
    return batch_refresh_status(batch_id=batch_id)


def batch_refresh_status(*, batch_id: int) -> PayoutBatch:
    """Mark an approved batch ``completed`` (with ``completed_at``, and a ``batch.completed``
    event) once no item is waiting and every payout it created is paid or final. Any other
    batch is returned as it is. Raises ``BatchNotFound``."""
    with transaction.atomic():
        batch = PayoutBatch.objects.select_for_update(no_key=True).filter(pk=batch_id).first()
        if batch is None:
            raise BatchNotFound(f"batch {batch_id} does not exist", field="batch")
        if batch.status != BatchStatus.APPROVED:
            return batch
        open_items = PayoutBatchItem.objects.filter(batch=batch).filter(
            Q(status=ItemStatus.VALID)
            | (Q(status=ItemStatus.CREATED) & ~Q(payout__status__in=SETTLED_STATUSES))
        )
        if not open_items.exists():
            batch.status = BatchStatus.COMPLETED
            batch.completed_at = timezone.now()
            batch.save(update_fields=["status", "completed_at", "updated"])
            events.batch_completed_emit(batch=batch)
    return batch


def batches_refresh(*, batch_ids: Iterable[int] | None = None) -> int:
    """Refresh every approved batch (or those given); returns how many completed now. For a
    periodic task, or for the settlement code after a batch payout settles."""
    query = PayoutBatch.objects.filter(status=BatchStatus.APPROVED)
    if batch_ids is not None:
        query = query.filter(pk__in=list(batch_ids))
    completed = 0
    for batch_id in query.values_list("id", flat=True).order_by("id"):
        batch = batch_refresh_status(batch_id=batch_id)
        completed += batch.status == BatchStatus.COMPLETED
    return completed
