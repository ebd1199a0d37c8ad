"""Fundings: the create body and the rendered funding."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import AmountField, CurrencyField, Text
from api.serializers.common import AmountOut, page_of
from api.serializers.strict import StrictSerializer
from payouts.common.representation import money, when
from payouts.funds.models import Funding, FundingStatus


class FundingCreate(StrictSerializer):
    amount = AmountField()
    currency = CurrencyField()
    reference = Text(max_length=200)


class FundingOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="funding")
    amount = AmountOut()
    currency = serializers.CharField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(choices=FundingStatus.choices)
    ledger_entry = serializers.IntegerField(allow_null=True)
    created = serializers.DateTimeField()
    confirmed_at = serializers.DateTimeField(allow_null=True)


FundingPage = page_of(FundingOut, "FundingPage")


def funding_data(funding: Funding) -> dict[str, Any]:
    return {
        "id": funding.id,
        "object": "funding",
        "amount": money(funding.amount_minor, funding.currency),
        "currency": funding.currency,
        "reference": funding.reference,
        "status": funding.status,
        "ledger_entry": funding.entry_id,
        "created": when(funding.created),
        "confirmed_at": when(funding.confirmed_at),
    }
