"""Fundings and earnings: bodies and rendered objects."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import AmountField, CurrencyField, Text, id_field
from api.serializers.common import AmountOut, money, page_of, when
from payouts.funds.models import Earning, Funding, FundingStatus


class FundingCreate(serializers.Serializer):
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


class EarningCreate(serializers.Serializer):
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
