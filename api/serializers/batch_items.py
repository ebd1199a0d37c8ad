"""A payout batch's per-item results: the filters and the rendered item."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import enum_schema
from api.serializers.common import AmountOut, page_of
from payouts.batches.models import ItemStatus
from payouts.common.representation import money
from payouts.lifecycle.rules import PayoutStatus


@extend_schema_field(enum_schema(ItemStatus.choices), component_name="BatchItemStatus")
class ItemStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ItemStatus.choices, **kwargs)


class BatchItemFilters(serializers.Serializer):
    status = ItemStatusField(required=False)


class ItemError(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class BatchItemOut(serializers.Serializer):
    line = serializers.IntegerField(help_text="Position in the list, or line in the CSV file")
    status = ItemStatusField()
    submitted = serializers.DictField(help_text="The item as submitted")
    payee = serializers.IntegerField(allow_null=True)
    payout_method = serializers.IntegerField(allow_null=True)
    amount = AmountOut(allow_null=True)
    fee = AmountOut(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    payout = serializers.IntegerField(allow_null=True, help_text="The payout it became")
    payout_status = serializers.ChoiceField(choices=PayoutStatus.choices, allow_null=True)
    error = ItemError(allow_null=True, help_text="Why it is invalid or failed")


BatchItemPage = page_of(BatchItemOut, "BatchItemPage")


def batch_item_data(row: dict[str, Any]) -> dict[str, Any]:
    """An item's result, from a ``payouts.batches.selectors.batch_item_rows`` row."""
    currency = row["currency"] or None
    has_error = bool(row["error_code"])
    return {
        "line": row["line"],
        "status": row["status"],
        "submitted": row["data"],
        "payee": row["payee_id"],
        "payout_method": row["method_id"],
        "amount": money(row["amount_minor"], currency) if currency else None,
        "fee": money(row["fee_minor"], currency) if currency else None,
        "currency": currency,
        "payout": row["payout_id"],
        "payout_status": row["payout__status"],
        "error": {"code": row["error_code"], "message": row["error_message"]}
        if has_error
        else None,
    }
