"""Payout batches from CSV: rows by external id or payee id, malformed rows each with a result,
and files without a usable header or rows refused."""

from __future__ import annotations

import pytest

from core.errors import DomainError
from payouts.batches.models import PayoutBatch, PayoutBatchItem
from payouts.batches.services import batch_create_from_csv, batch_results
from payouts.lifecycle.models import Payout
from tests.support.batches import MAKER, results

pytestmark = pytest.mark.django_db(transaction=True)


def test_csv_rows_by_external_id_including_malformed_ones(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00", external_id="driver-17")
    bob, bob_method = payee_with("100.00", external_id="driver-18")
    csv_text = (
        "\ufeffExternal_ID,payout_method,amount,currency,description\n"
        f"driver-17,{ada_method.id},12.50,USD,week 45\n"
        f"driver-18,{bob_method.id},7.00,USD\n"  # a field short
        "\n"
        f'driver-18,{bob_method.id},"7.00"x,USD,\n'  # broken quoting
        f"nobody,{ada_method.id},1.00,USD,\n"
        f"driver-18,{bob_method.id},8.00,USD,\n"
        f",{bob_method.id},8.00,USD,\n"
        f"driver-17,{bob_method.id},8.00,USD,\n"  # bob's method is not ada's
    )

    batch = batch_create_from_csv(platform=plat, csv_text=csv_text, actor=MAKER)

    assert (batch.source, batch.item_count, batch.invalid_count) == ("csv", 7, 5)
    assert [
        (r.line, r.status, r.error_code, r.error_message) for r in batch_results(batch).items
    ] == [
        (2, "created", "", ""),
        (3, "invalid", "invalid_input", "line 3: expected 5 fields, got 4"),
        (5, "invalid", "invalid_input", "line 5: ',' expected after '\"'"),
        (6, "invalid", "payee_not_found", "no payee has external_id 'nobody'"),
        (7, "created", "", ""),
        (8, "invalid", "invalid_input", "external_id is required"),
        (
            9,
            "invalid",
            "payout_method_not_found",
            f"payout_method: payout method {bob_method.id} does not exist",
        ),
    ]
    assert sorted(
        Payout.objects.filter(batch=batch).values_list("payee_id", "amount_minor", "description")
    ) == sorted([(ada.id, 1250, "week 45"), (bob.id, 800, "")])
    item = PayoutBatchItem.objects.get(batch=batch, line=2)
    assert item.data == {
        "external_id": "driver-17",
        "payout_method": str(ada_method.id),
        "amount": "12.50",
        "currency": "USD",
        "description": "week 45",
    }


def test_csv_rows_by_payee_id(plat, payee_with) -> None:
    ada, ada_method = payee_with("100.00")
    csv_text = (
        "payee,payout_method,amount,currency,speed\n"
        f"{ada.id},{ada_method.id},10.00,USD,instant\n"
        f"abc,{ada_method.id},10.00,USD,\n"
    )
    batch = batch_create_from_csv(platform=plat, csv_text=csv_text, actor=MAKER)
    assert results(batch) == [
        (2, "created", "scheduled", ""),
        (3, "invalid", None, "payee_not_found"),
    ]
    assert Payout.objects.get(batch=batch).speed == "instant"


@pytest.mark.parametrize(
    "csv_text",
    [
        "",
        "\n\n",
        "1,2,12.50,USD\n",
        "payee,payout_method,amount\n1,2,3\n",
        "payee,external_id,payout_method,amount,currency\n",
        "payee,payout_method,amount,currency,colour\n1,2,3,USD,red\n",
        "payee,payout_method,amount,currency\n",
    ],
)
def test_a_csv_without_a_usable_header_or_rows_is_refused(plat, csv_text) -> None:
    with pytest.raises(DomainError) as caught:
        batch_create_from_csv(platform=plat, csv_text=csv_text, actor=MAKER)
    assert caught.value.code == "invalid_input"
    assert PayoutBatch.objects.count() == PayoutBatchItem.objects.count() == 0
