"""``/v1/balances``: the platform's own money per currency, from its book."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import PlatformView
from api.serializers.balances import PlatformBalanceList, balance_data
from payouts.funds.selectors import platform_balances


class BalancesView(PlatformView):
    scope = "funds"

    @extend_schema(
        tags=["Fundings"],
        operation_id="balances_list",
        summary="The platform's balances per currency",
        description="`funding`: the prefunded balance not yet credited to payees; `in_transit`: "
        "submitted to rails and not yet settled (all rails); `fees`: fees charged; `cash`: the "
        "money held at the operator's bank for the platform. One row per currency the platform "
        "uses.",
        responses={200: PlatformBalanceList},
    )
    def get(self, request: Request) -> Response:
        balances = platform_balances(platform=self.platform)
        return Response({"results": [balance_data(b) for b in balances]})
