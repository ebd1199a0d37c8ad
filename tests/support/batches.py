"""Helpers for the batches tests: an item, the items' results, and a snapshot of everything a
refused call must leave as it was."""

from __future__ import annotations

from typing import Any

from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.batches.services import batch_results
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.outbox.models import OutboxMessage
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from tests.support.payouts import balances

MAKER = "user:maker"
CHECKER = "user:checker"


def row(payee: Payee, method: PayoutMethod, amount: str, **extra: Any) -> dict[str, Any]:
    """A batch item paying ``amount`` USD to ``payee`` by ``method`` (``extra`` adds or
    overrides fields)."""
    return {
        "payee": payee.id,
        "payout_method": method.id,
        "amount": amount,
        "currency": "USD",
    } | extra


def results(batch: PayoutBatch) -> list[tuple[int, str, str | None, str]]:
    """Each item's line, status, payout status and error code."""
    return [(r.line, r.status, r.payout_status, r.error_code) for r in batch_results(batch).items]


def snapshot(plat: Platform, *payees: Payee) -> tuple[Any, ...]:
    """The payees' balances and every batch, item, payout, transition and outbox row."""
    return (
        [balances(plat, payee) for payee in payees],
        list(PayoutBatch.objects.values_list("id", "status", "approved_by", "approved_at")),
        list(PayoutBatchItem.objects.values_list("id", "status", "payout_id")),
        Payout.objects.count(),
        PayoutTransition.objects.count(),
        OutboxMessage.objects.count(),
    )
