"""Earnings: the create body, filters and the rendered earning."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import AmountField, CurrencyField, Text, id_field
from api.serializers.common import AmountOut, page_of
from api.serializers.strict import StrictSerializer
from payouts.common.representation import money, when
from payouts.funds.models import Earning


class EarningCreate(StrictSerializer):
    payee = id_field()
    amount = AmountField()
    currency = CurrencyField()
    description = Text(max_length=500, required=False, allow_blank=True)


class EarningFilters(serializers.Serializer):
    payee = id_field(required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)


class EarningOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="earning")
    payee = serializers.IntegerField()
    amount = AmountOut()
    currency = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    ledger_entry = serializers.IntegerField()
    created = serializers.DateTimeField()


EarningPage = page_of(EarningOut, "EarningPage")


def earning_data(earning: Earning) -> dict[str, Any]:
    return {
        "id": earning.id,
        "object": "earning",
        "payee": earning.payee_id,
        "amount": money(earning.amount_minor, earning.currency),
        "currency": earning.currency,
        "description": earning.description,
        "ledger_entry": earning.entry_id,
        "created": when(earning.created),
    }
