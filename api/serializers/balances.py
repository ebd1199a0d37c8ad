"""The platform's own balances per currency, from its book."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from api.serializers.common import AmountOut
from api.serializers.ledger_accounts import amount
from payouts.funds.selectors import PlatformBalance


class PlatformBalanceOut(serializers.Serializer):
    currency = serializers.CharField()
    funding = AmountOut(help_text="The prefunded balance not yet credited to payees")
    in_transit = AmountOut(help_text="Submitted to rails, not yet settled")
    fees = AmountOut(help_text="Fees charged")
    cash = AmountOut(help_text="Money held at the operator's bank for the platform")


class PlatformBalanceList(serializers.Serializer):
    results = PlatformBalanceOut(many=True)


def balance_data(balance: PlatformBalance) -> dict[str, Any]:
    currency = balance.currency
    return {
        "currency": currency,
        "funding": amount(balance.funding, currency),
        "in_transit": amount(balance.in_transit, currency),
        "fees": amount(balance.fees, currency),
        "cash": amount(balance.cash, currency),
    }
