"""Payout batches: the create body (JSON, or a CSV upload), filters and the rendered batch (its
quote and its items: ``batch_quotes`` and ``batch_items``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import AmountField, CurrencyField, enum_schema, id_field
from api.serializers.batch_items import BatchItemOut
from api.serializers.common import AmountOut, page_of
from api.serializers.strict import StrictSerializer
from payouts.batches.models import BatchStatus, PayoutBatch
from payouts.batches.representation import batch_data
from payouts.platforms.models import Speed

MAX_DESCRIPTION = 500


@extend_schema_field(enum_schema(BatchStatus.choices), component_name="BatchStatus")
class BatchStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=BatchStatus.choices, **kwargs)


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

    def to_representation(self, instance: PayoutBatch) -> dict[str, Any]:
        # The fields above describe the shape for the schema; the batch's own representation,
        # the one its events carry, renders it.
        return batch_data(instance)


BatchPage = page_of(BatchOut, "BatchPage")


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


class BatchCreate(StrictSerializer):
    description = serializers.CharField(
        max_length=MAX_DESCRIPTION, required=False, allow_blank=True, default=""
    )
    items = ItemsField(allow_empty=False)


class BatchUpload(StrictSerializer):
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


class BatchCreatedOut(BatchOut):
    items = BatchItemOut(many=True, help_text="Every item's result, in line order")
