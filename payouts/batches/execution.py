"""Executing an approved batch: its valid items become payouts, a chunk per transaction.

A chunk quotes its items afresh, inserts their payouts in one statement, places all their holds
with one ``entries_post``, records their transitions and schedules them (the batch's approval is
their approval), all in one transaction with the items' results. When some payee's available
balance cannot cover its items, the chunk is redone item by item in savepoints, so only the
items that do not fit fail (``insufficient_funds``). Chunks follow the payees, and two workers
(threads, each with its own connection) share the payees between them. Execution can be
interrupted and run again: a chunk takes only items that are still ``valid`` (locked, SKIP
LOCKED).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import connection, connections, transaction
from django.utils import timezone

from core.db.bulk import instances_insert, rows_insert, rows_update
from core.errors import DomainError
from ledger import errors as ledger_errors
from ledger import services as ledger
from ledger.money import from_minor
from payouts.batches.models import BatchStatus, ItemStatus, PayoutBatch, PayoutBatchItem
from payouts.batches.quotes import BatchQuoter, ItemRequest
from payouts.common.accounts import payee_accounts_open
from payouts.common.errors import BatchNotFound, InvalidTransition, insufficient_funds
from payouts.lifecycle import events, postings
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.lifecycle.quotes import Quote
from payouts.lifecycle.rules import PayoutStatus, is_allowed
from payouts.lifecycle.services import payout_from_quote
from payouts.outbox import services as outbox
from payouts.platforms.models import Platform, Speed
from payouts.platforms.selectors import Thresholds, thresholds_get

S = PayoutStatus
CHUNK = 1000
WORKERS = 2


@dataclass
class _Item:
    """What execution needs of a valid item, and its result."""

    id: int
    line: int
    payee_id: int
    method_id: int
    amount_minor: int
    currency: str
    speed: str
    description: str
    status: str = ItemStatus.VALID
    payout_id: int | None = None
    fee_minor: int | None = None
    error_code: str = ""
    error_message: str = ""

    def request(self) -> ItemRequest:
        return ItemRequest(
            payee_id=self.payee_id,
            method_id=self.method_id,
            amount=from_minor(self.amount_minor, self.currency),
            currency=self.currency,
            speed=self.speed,
        )

    def fail(self, error: DomainError) -> None:
        self.status = ItemStatus.FAILED
        self.error_code = error.code[:64]
        self.error_message = error_text(error)


def batch_items_execute(*, batch_id: int, actor: str) -> PayoutBatch:
    """Create, hold and schedule the payouts of an approved batch's valid items (see
    ``payouts.batches.services.batch_execute``, which also refreshes the batch's status). Each
    item ends ``created`` (with its payout) or ``failed`` (with the error a single payout would
    get, ``insufficient_funds`` when its payee's balance is short).

    Chunks commit one by one; running it again (or concurrently) continues with the items still
    ``valid``. Raises ``BatchNotFound``, and ``InvalidTransition`` unless the batch is approved
    (a completed batch is returned unchanged)."""
    batch = PayoutBatch.objects.select_related("platform").filter(pk=batch_id).first()
    if batch is None:
        raise BatchNotFound(f"batch {batch_id} does not exist", field="batch")
    if batch.status == BatchStatus.COMPLETED:
        return batch
    if batch.status != BatchStatus.APPROVED:
        raise InvalidTransition(f"batch {batch.id} is {batch.status}, not approved")
    plans = _plan(batch, 1 if connection.in_atomic_block else WORKERS)
    if len(plans) == 1:
        _run(batch, plans[0], actor)
    else:
        # Each worker has its own connection: while one waits for the database, the other
        # prepares its next chunk. Their payees are disjoint, so they never wait on each other's
        # account locks.
        with ThreadPoolExecutor(max_workers=len(plans)) as pool:
            for done in [pool.submit(_run_in_thread, batch, plan, actor) for plan in plans]:
                done.result()
    return batch


@dataclass
class _Plan:
    """One worker's share of a batch: its payees (and currencies) and its chunks of item ids."""

    pairs: list[tuple[int, str]]
    chunks: list[list[int]]


def _plan(batch: PayoutBatch, workers: int) -> list[_Plan]:
    """The valid items' ids in chunks, per worker. Chunks follow the payees (then the lines):
    a chunk's holds touch a few payees' accounts many times rather than thousands once, which
    is what a ledger posting pays for. A payee's items all go to one worker, in line order."""
    by_payee: dict[int, list[int]] = defaultdict(list)
    currencies: dict[int, set[str]] = defaultdict(set)
    rows = (
        PayoutBatchItem.objects.filter(batch=batch, status=ItemStatus.VALID)
        .order_by("payee_id", "line")
        .values_list("payee_id", "currency", "id")
    )
    for payee_id, currency, item_id in rows:
        assert payee_id is not None, "a valid item has its payee"
        by_payee[payee_id].append(item_id)
        currencies[payee_id].add(currency)
    total = sum(len(ids) for ids in by_payee.values())
    workers = max(1, min(workers, total // CHUNK))
    shares: list[list[int]] = [[] for _ in range(workers)]
    loads = [0] * workers
    for payee_id in sorted(by_payee, key=lambda p: -len(by_payee[p])):
        least = loads.index(min(loads))
        shares[least].append(payee_id)
        loads[least] += len(by_payee[payee_id])
    plans = []
    for share in shares:
        share.sort()
        ids = [item_id for payee_id in share for item_id in by_payee[payee_id]]
        plans.append(
            _Plan(
                pairs=[(p, c) for p in share for c in sorted(currencies[p])],
                chunks=[ids[start : start + CHUNK] for start in range(0, len(ids), CHUNK)],
            )
        )
    return plans


def _run_in_thread(batch: PayoutBatch, plan: _Plan, actor: str) -> None:
    try:
        _run(batch, plan, actor)
    finally:
        connections.close_all()  # this thread's connections only


def _run(batch: PayoutBatch, plan: _Plan, actor: str) -> None:
    _open_accounts(batch.platform.book_id, plan.pairs)
    for item_ids in plan.chunks:
        with transaction.atomic():
            batch = PayoutBatch.objects.select_related("platform").get(pk=batch.id)
            if batch.status != BatchStatus.APPROVED:
                return
            items = _claim(batch, item_ids)
            if items:
                _chunk(batch.platform, batch, items, actor)


def _claim(batch: PayoutBatch, item_ids: list[int]) -> list[_Item]:
    """Those of the items still valid and not taken by another run, locked, as light rows."""
    rows = (
        PayoutBatchItem.objects.select_for_update(skip_locked=True)
        .filter(batch=batch, status=ItemStatus.VALID, pk__in=item_ids)
        .order_by("payee_id", "line")
        .values_list(
            "id",
            "line",
            "payee_id",
            "method_id",
            "amount_minor",
            "currency",
            "fee_minor",
            "data__speed",
            "data__description",
        )
    )
    items = []
    for id_, line, payee_id, method_id, amount, currency, fee, speed, description in rows:
        assert payee_id is not None, "a valid item has its payee"
        assert method_id is not None, "a valid item has its method"
        assert amount is not None, "a valid item has its amount"
        items.append(
            _Item(
                id_,
                line,
                payee_id,
                method_id,
                amount,
                currency,
                speed=speed or Speed.STANDARD,
                description=description or "",
                fee_minor=fee,
            )
        )
    return items


def _chunk(platform: Platform, batch: PayoutBatch, items: list[_Item], actor: str) -> None:
    # The quote is taken again: payees, methods, routes and fees may have changed since the
    # batch was submitted.
    quoter = BatchQuoter(platform=platform, requests=(item.request() for item in items))
    ready: list[tuple[_Item, Quote]] = []
    for item in items:
        result = quoter.quote(item.request())
        if isinstance(result, DomainError):
            item.fail(result)
        else:
            ready.append((item, result))
    now = timezone.now()
    try:
        with transaction.atomic():
            held = _hold_all(platform, batch, ready, now)
    except ledger_errors.BelowFloor:
        held = _hold_each(platform, batch, ready, now)
    _record(batch, held, actor, now)
    _items_save(items)


def error_text(error: DomainError) -> str:
    """An error's message, prefixed by the field it names unless the message names it."""
    field = error.details.get("field")
    if field and str(field) not in error.message:
        return f"{field}: {error.message}"[:500]
    return error.message[:500]


def _open_accounts(book_id: int, pairs: list[tuple[int, str]]) -> None:
    """Look up (or open) the payees' accounts in one transaction before their chunks, so the ids
    are cached for the process when it commits and the hold entries cost no query per item."""
    by_currency: dict[str, list[int]] = defaultdict(list)
    for payee_id, currency in pairs:
        by_currency[currency].append(payee_id)
    for currency, payee_ids in by_currency.items():
        payee_accounts_open(book_id=book_id, currency=currency, payee_ids=payee_ids)


def _payout(
    thresholds: Thresholds, batch: PayoutBatch, item: _Item, quote: Quote, now: dt.datetime
) -> Payout:
    """The payout, already in the status it moves to once its hold is placed: scheduled (the
    batch's approval is its approval), or in_review at the review threshold (compliance review
    is not the batch approver's call). ``_record`` writes both transitions."""
    review = thresholds.requires_review(quote.currency, quote.amount_minor)
    return payout_from_quote(
        quote,
        platform_id=batch.platform_id,
        batch_id=batch.id,
        status=S.IN_REVIEW if review else S.SCHEDULED,
        scheduled_for=None if review else now,
        description=item.description,
        created_by=batch.created_by,
        approved_by=batch.approved_by,
    )


def _hold_all(
    platform: Platform,
    batch: PayoutBatch,
    ready: list[tuple[_Item, Quote]],
    now: dt.datetime,
) -> list[tuple[_Item, Payout, int]]:
    """Every payout of the chunk and its hold, or (``BelowFloor``) none of them."""
    if not ready:
        return []
    thresholds = thresholds_get(platform_id=platform.id)
    payouts = instances_insert(
        [_payout(thresholds, batch, item, quote, now) for item, quote in ready]
    )
    posted = ledger.entries_post(entries=[postings.hold(p, platform.book_id) for p in payouts])
    return [
        (item, payout, info.id)
        for (item, _), payout, info in zip(ready, payouts, posted, strict=True)
    ]


def _hold_each(
    platform: Platform,
    batch: PayoutBatch,
    ready: list[tuple[_Item, Quote]],
    now: dt.datetime,
) -> list[tuple[_Item, Payout, int]]:
    """The slow path, in payee and line order (a payee's earlier lines are served first): each
    payout and its hold in a savepoint of its own."""
    held = []
    thresholds = thresholds_get(platform_id=platform.id)
    for item, quote in ready:
        try:
            with transaction.atomic():
                payout = _payout(thresholds, batch, item, quote, now)
                payout.save(force_insert=True)
                info = ledger.entries_post(entries=[postings.hold(payout, platform.book_id)])[0]
        except ledger_errors.BelowFloor as exc:
            # A batch item keeps only the code and the message (error_text).
            item.fail(
                insufficient_funds(
                    exc, "the payee's available balance does not cover this payout", details=()
                )
            )
            continue
        held.append((item, payout, info.id))
    return held


def _record(
    batch: PayoutBatch, held: list[tuple[_Item, Payout, int]], actor: str, now: dt.datetime
) -> None:
    """Record each payout's creation with its hold entry, then its move on (checked against
    the published table); queue the scheduled ones for a worker."""
    why = f"batch {batch.id} approved" if batch.requires_approval else f"batch {batch.id}"
    for item, payout, _ in held:
        assert is_allowed(S.PENDING, payout.status), payout.status
        item.status = ItemStatus.CREATED
        item.payout_id = payout.id
        item.fee_minor = payout.fee_minor
    count = len(held)
    payout_ids = [payout.id for _, payout, _ in held]
    # Creations first, so each payout's transitions read in order by id.
    rows_insert(
        PayoutTransition,
        count=count,
        columns={
            "payout_id": payout_ids,
            "from_status": [""] * count,
            "to_status": [S.PENDING] * count,
            "actor": [batch.created_by[:200]] * count,
            "reason": [f"batch {batch.id} line {item.line}" for item, _, _ in held],
            "entry_id": [entry_id for _, _, entry_id in held],
            "at": [now] * count,
        },
    )
    rows_insert(
        PayoutTransition,
        count=count,
        columns={
            "payout_id": payout_ids,
            "from_status": [S.PENDING] * count,
            "to_status": [payout.status for _, payout, _ in held],
            "actor": [actor[:200]] * count,
            "reason": [
                why if payout.status == S.SCHEDULED else "at or above the review threshold"
                for _, payout, _ in held
            ],
            "at": [now] * count,
        },
    )
    # payout.created for the whole chunk: one statement for the events, one for deliveries.
    events.payout_events_emit(items=[(payout, "payout.created") for _, payout, _ in held])
    scheduled = [payout.id for _, payout, _ in held if payout.status == S.SCHEDULED]
    if scheduled:
        outbox.write(outbox.EXECUTE, scheduled)
        outbox.kick_execution()


def _items_save(items: list[_Item]) -> None:
    rows_update(
        PayoutBatchItem,
        ids=[i.id for i in items],
        columns={
            "status": [i.status for i in items],
            "payout_id": [i.payout_id for i in items],
            "fee_minor": [i.fee_minor for i in items],
            "error_code": [i.error_code for i in items],
            "error_message": [i.error_message for i in items],
        },
    )
