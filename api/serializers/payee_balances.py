"""A payee's balances and its payability: the payability query and the rendered results."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.fields import CurrencyField
from api.serializers.common import AmountOut
from payouts.common.representation import money


class PayabilityQuery(serializers.Serializer):
    currency = CurrencyField(required=False, help_text="Check payability in this currency only")


class BalanceOut(serializers.Serializer):
    currency = serializers.CharField()
    available = AmountOut(help_text="Earnings that can be paid out now")
    held = AmountOut(help_text="Reserved by payouts not yet submitted")
    lifetime_paid = AmountOut(help_text="Net amount of payouts paid and not returned")


class BalanceList(serializers.Serializer):
    results = BalanceOut(many=True)


def balance_data(
    currency: str, available_minor: int, held_minor: int, lifetime_paid_minor: int
) -> dict[str, Any]:
    return {
        "currency": currency,
        "available": money(available_minor, currency),
        "held": money(held_minor, currency),
        "lifetime_paid": money(lifetime_paid_minor, currency),
    }


class BlockerOut(serializers.Serializer):
    code = serializers.CharField(
        help_text="Stable code: no_payout_method, payee_blocked, payee_archived, "
        "currency_not_supported (more are added over time)"
    )
    message = serializers.CharField()


class PayabilityOut(serializers.Serializer):
    payee = serializers.IntegerField()
    currency = serializers.CharField(allow_null=True)
    is_payable = serializers.BooleanField()
    blockers = BlockerOut(many=True)
