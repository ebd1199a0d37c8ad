"""Payout batches: the create body (JSON, or a CSV upload), filters, the rendered batch, its
quote and its per-item results."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import AmountField, CurrencyField, id_field
from api.serializers.common import AmountOut, money, page_of, when
from payouts.batches.models import BatchStatus, ItemStatus, PayoutBatch
from payouts.lifecycle.rules import PayoutStatus
from payouts.platforms.models import Speed

MAX_DESCRIPTION = 500


def _enum(choices: Any) -> dict[str, Any]:
    return {"type": "string", "enum": [value for value, _ in choices]}


@extend_schema_field(_enum(BatchStatus.choices), component_name="BatchStatus")
class BatchStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=BatchStatus.choices, **kwargs)


@extend_schema_field(_enum(ItemStatus.choices), component_name="BatchItemStatus")
class ItemStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=ItemStatus.choices, **kwargs)


class CurrencyTotals(serializers.Serializer):
    count = serializers.IntegerField()
    amount = AmountOut()
    fee = AmountOut()
    net = AmountOut()


class BatchOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="payout_batch")
    status = BatchStatusField()
    description = serializers.CharField(allow_blank=True)
    source = serializers.CharField()  # type: ignore[assignment]  # a field, not Field.source
    item_count = serializers.IntegerField()
    invalid_count = serializers.IntegerField()
    requires_approval = serializers.BooleanField()
    quote = serializers.DictField(child=CurrencyTotals(), help_text="Totals per currency")
    created_by = serializers.CharField()
    approved_by = serializers.CharField(allow_blank=True)
    approved_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()


BatchPage = page_of(BatchOut, "BatchPage")


def batch_data(batch: PayoutBatch) -> dict[str, Any]:
    """A batch as the API and its events show it (its items are listed separately)."""
    return {
        "id": batch.id,
        "object": "payout_batch",
        "status": batch.status,
        "description": batch.description,
        "source": batch.source,
        "item_count": batch.item_count,
        "invalid_count": batch.invalid_count,
        "requires_approval": batch.requires_approval,
        "quote": batch.quote,
        "created_by": batch.created_by,
        "approved_by": batch.approved_by,
        "approved_at": when(batch.approved_at),
        "completed_at": when(batch.completed_at),
        "created": when(batch.created),
        "updated": when(batch.updated),
    }


# --- input -------------------------------------------------------------------------------------


class BatchItemIn(serializers.Serializer):
    """One item, as documented. Items are checked one by one when the batch is created: a bad
    item becomes an invalid result of its own and never fails the request."""

    payee = id_field(required=False, help_text="The payee's id (or give payee_external_id)")
    payee_external_id = serializers.CharField(
        required=False, help_text="The platform's own id for the payee, instead of payee"
    )
    payout_method = id_field()
    amount = AmountField()
    currency = CurrencyField()
    speed = serializers.ChoiceField(choices=Speed.choices, default=Speed.STANDARD)
    description = serializers.CharField(max_length=MAX_DESCRIPTION, required=False)


@extend_schema_field(BatchItemIn(many=True))
class ItemsField(serializers.ListField):
    """The items as given: each one is validated by the batch service, into its own result."""

    child = serializers.JSONField()


class BatchCreate(serializers.Serializer):
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION, required=False, allow_blank=True, default=""
    )
    items = ItemsField(allow_empty=False)


class BatchUpload(serializers.Serializer):
    file = serializers.FileField(
        help_text="A UTF-8 CSV with a header row: payee (or external_id), payout_method, "
        "amount, currency, and optionally speed, description"
    )
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION, required=False, allow_blank=True, default=""
    )


class BatchFilters(serializers.Serializer):
    status = BatchStatusField(required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)


class BatchItemFilters(serializers.Serializer):
    status = ItemStatusField(required=False)


# --- items -------------------------------------------------------------------------------------

# What ``batch_item_data`` reads, as ``PayoutBatchItem.objects.values(*ITEM_VALUES)``.
ITEM_VALUES = (
    "id",
    "line",
    "status",
    "data",
    "payee_id",
    "method_id",
    "amount_minor",
    "fee_minor",
    "currency",
    "payout_id",
    "payout__status",
    "error_code",
    "error_message",
)


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
    """An item's result, from a ``values(*ITEM_VALUES)`` row."""
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


class BatchCreatedOut(BatchOut):
    items = BatchItemOut(many=True, help_text="Every item's result, in line order")


# --- quote -------------------------------------------------------------------------------------


class CurrencyQuote(CurrencyTotals):
    currency = serializers.CharField()


class BatchQuoteOut(serializers.Serializer):
    batch = serializers.IntegerField()
    object = serializers.CharField(default="payout_batch_quote")
    status = BatchStatusField()
    currencies = CurrencyQuote(
        many=True, help_text="Per currency: valid items, their amount, fees and net"
    )
    item_count = serializers.IntegerField()
    valid_count = serializers.IntegerField()
    invalid_count = serializers.IntegerField()
    requires_approval = serializers.BooleanField(
        help_text="A currency's total reached the platform's approval threshold: someone "
        "other than the creator must approve"
    )


def batch_quote_data(batch: PayoutBatch) -> dict[str, Any]:
    return {
        "batch": batch.id,
        "object": "payout_batch_quote",
        "status": batch.status,
        "currencies": [
            {"currency": currency, **totals} for currency, totals in sorted(batch.quote.items())
        ],
        "item_count": batch.item_count,
        "valid_count": batch.item_count - batch.invalid_count,
        "invalid_count": batch.invalid_count,
        "requires_approval": batch.requires_approval,
    }
