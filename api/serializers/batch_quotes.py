"""A payout batch's quote: totals, fees and counts per currency."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers.batches import BatchStatusField, CurrencyTotals
from payouts.batches.models import PayoutBatch


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
