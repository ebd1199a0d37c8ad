"""``/v1/earnings``: money onto payees' balances, from the platform's funding."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.idempotency import header_parameter, idempotent
from api.serializers.earnings import (
    EarningCreate,
    EarningFilters,
    EarningOut,
    EarningPage,
    earning_data,
)
from payouts.funds.selectors import earning_list
from payouts.funds.services import earning_create

EARNING_TAGS = ["Earnings"]


class EarningsView(PlatformView):
    scope = "funds"

    @extend_schema(
        tags=EARNING_TAGS,
        operation_id="earnings_create",
        summary="Credit a payee's earning",
        description="Posts funding -> the payee's available balance. Fails with "
        "`insufficient_funds` (and moves nothing) when the platform's funding is short.",
        request=EarningCreate,
        parameters=[header_parameter(required=True)],
        responses={201: EarningOut},
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        data = self.parse(EarningCreate, request.data)
        earning = earning_create(
            platform=self.platform,
            payee_id=data["payee"],
            amount=data["amount"],
            currency=data["currency"],
            description=data.get("description", ""),
            actor=self.caller.actor,
        )
        return Response(
            earning_data(earning), status=201, headers={"Location": f"/v1/earnings/{earning.id}"}
        )

    @extend_schema(
        tags=EARNING_TAGS,
        operation_id="earnings_list",
        summary="List earnings, newest first",
        parameters=[EarningFilters, *keyset.parameters()],
        responses={200: EarningPage},
    )
    def get(self, request: Request) -> Response:
        """The platform's earnings, a page at a time, narrowed by `payee` and by when they were
        recorded (`created_gte`, `created_lte`). A filter, `cursor` or `limit` that is not valid is
        a 400 naming it."""
        filters = self.query(EarningFilters)
        return self.page(earning_list(platform_id=self.platform.id, **filters), earning_data)
