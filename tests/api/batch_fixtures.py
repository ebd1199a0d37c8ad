"""The fixtures and helpers of the ``/v1/payout-batches`` tests (``test_batches.py``,
``test_batch_uploads.py``, ``test_batch_execution.py``): a platform with approval at 1,000.00
USD, a maker and a checker key, payees with money and a bank account, and readers of the state."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.batches.services import batch_execute
from payouts.outbox import services as outbox
from payouts.outbox.models import OutboxMessage
from payouts.payees.models import Payee, PayoutMethod
from payouts.platforms.models import Platform
from payouts.platforms.services import platform_create
from tests.api.conftest import Api, api_for
from tests.support.payouts import balances, bank_method, earn, fund

PATH = "/v1/payout-batches"
CSV = "text/csv"


@pytest.fixture
def plat(db: None) -> Platform:
    """USD and EUR, approval at 1,000.00 USD; fees: standard 0.25, instant 0.50 + 1%."""
    platform = platform_create(
        name=f"Batcher {time.monotonic_ns()}",
        currencies=["USD", "EUR"],
        approval_thresholds={"USD": "1000.00"},
    )
    fund(platform, "100000.00")
    return platform


@pytest.fixture
def maker(plat: Platform) -> Api:
    return api_for(plat)


@pytest.fixture
def checker(plat: Platform) -> Api:
    """Another key of the same platform: a second person."""
    return api_for(plat)


PayeeMaker = Callable[..., tuple[Payee, PayoutMethod]]


@pytest.fixture
def payee_with(plat: Platform, make_payee: Callable[..., Payee]) -> PayeeMaker:
    def make(available: str, external_id: str = "") -> tuple[Payee, PayoutMethod]:
        payee = make_payee(platform=plat, external_id=external_id)
        method = bank_method(plat, payee)
        earn(plat, payee, available)
        return payee, method

    return make


def _item(payee: Payee, method: PayoutMethod, amount: str, **extra: Any) -> dict[str, Any]:
    return {"payee": payee.id, "payout_method": method.id, "amount": amount, "currency": "USD"} | (
        extra
    )


def _results(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (i["line"], i["status"], i["payout_status"], (i["error"] or {}).get("code"))
        for i in body["items"]
    ]


def state(plat: Platform, *payees: Payee) -> tuple[Any, ...]:
    return (
        list(PayoutBatch.objects.values_list("id", "status", "approved_by").order_by("id")),
        list(PayoutBatchItem.objects.values_list("id", "status", "payout_id").order_by("id")),
        [balances(plat, payee) for payee in payees],
        list(OutboxMessage.objects.values_list("kind", "object_id", "processed_at").order_by("id")),
    )


def execution_rows(batch_id: int) -> list[bool]:
    """The batch's ``batch.execute`` outbox rows: whether each is processed."""
    rows = OutboxMessage.objects.filter(kind=outbox.BATCH, object_id=batch_id).order_by("id")
    return [processed is not None for processed in rows.values_list("processed_at", flat=True)]


def execute(batch_id: int) -> None:
    """What the ``payouts.execute_batch`` task does for the batch's outbox row."""
    batch_execute(batch_id=batch_id, actor="system:batch")


def held(plat: Platform, payee: Payee) -> tuple[str, str]:
    return balances(plat, payee)["available"], balances(plat, payee)["held"]


def _upload(api: Api, content: bytes, key: str = "", **fields: Any) -> Any:
    data = {"file": SimpleUploadedFile("b.csv", content, content_type=CSV), **fields}
    headers = {"Authorization": f"Bearer {api.secret}", "Idempotency-Key": key or str(time.time())}
    return api.client.post(PATH, data, headers=headers)
