"""Payouts: the create body, filters and the rendered payout."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import AmountField, CurrencyField, Text, id_field
from api.serializers.common import AmountOut, page_of
from api.serializers.strict import StrictSerializer
from payouts.common.representation import when
from payouts.lifecycle.models import Payout, PayoutTransition
from payouts.lifecycle.representation import payout_data
from payouts.lifecycle.rules import PayoutStatus
from payouts.platforms.models import Speed


class PayoutCreate(StrictSerializer):
    payee = id_field()
    payout_method = id_field()
    amount = AmountField()
    currency = CurrencyField()
    speed = serializers.ChoiceField(choices=Speed.choices, default=Speed.STANDARD)
    description = Text(max_length=500, required=False, allow_blank=True)
    scheduled_for = serializers.DateTimeField(required=False)


class PayoutFilters(serializers.Serializer):
    status = serializers.ChoiceField(choices=PayoutStatus.choices, required=False)
    payee = id_field(required=False)
    batch = id_field(required=False)
    created_gte = serializers.DateTimeField(required=False)
    created_lte = serializers.DateTimeField(required=False)


class PayoutCancel(StrictSerializer):
    reason = Text(max_length=500, required=False, allow_blank=True)


class MethodSummary(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField()
    last4 = serializers.CharField()


class PayoutOut(serializers.Serializer):
    id = serializers.IntegerField()
    object = serializers.CharField(default="payout")
    status = serializers.ChoiceField(choices=PayoutStatus.choices)
    is_final = serializers.BooleanField()
    amount = AmountOut()
    fee = AmountOut()
    net_amount = AmountOut()
    currency = serializers.CharField()
    fee_bearer = serializers.CharField()
    payee = serializers.IntegerField()
    payout_method = MethodSummary()
    batch = serializers.IntegerField(allow_null=True)
    speed = serializers.ChoiceField(choices=Speed.choices)
    rail = serializers.CharField()
    estimated_arrival = serializers.DateTimeField(allow_null=True)
    scheduled_for = serializers.DateTimeField(allow_null=True)
    description = serializers.CharField(allow_blank=True)
    failure_code = serializers.CharField(allow_null=True)
    failure_message = serializers.CharField(allow_null=True)
    ledger_entries = serializers.ListField(child=serializers.IntegerField())
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def to_representation(self, instance: Payout) -> dict[str, Any]:
        # The fields above describe the shape for the schema; the payout's own representation,
        # the one its events carry, renders it.
        return payout_data(instance)


PayoutPage = page_of(PayoutOut, "PayoutPage")


class TransitionOut(serializers.Serializer):
    # "from" is a Python keyword: the field is declared under another name and renamed below.
    from_ = serializers.CharField(allow_null=True)
    to = serializers.CharField()
    at = serializers.DateTimeField()
    actor = serializers.CharField()
    reason = serializers.CharField(allow_blank=True)
    ledger_entry = serializers.IntegerField(allow_null=True)

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class TransitionList(serializers.Serializer):
    results = TransitionOut(many=True)


def transition_data(transition: PayoutTransition) -> dict[str, Any]:
    return {
        "from": transition.from_status or None,
        "to": transition.to_status,
        "at": when(transition.at),
        "actor": transition.actor,
        "reason": transition.reason,
        "ledger_entry": transition.entry_id,
    }
