"""``/v1/fundings`` and ``/v1/earnings``: money into a platform's balance, and onto payees'."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from core.db.lookup import one_of
from core.errors import NotFound
from payouts.api import keyset
from payouts.api.base import PlatformView
from payouts.api.idempotency import header_parameter, idempotent
from payouts.api.serializers.funds import (
    EarningCreate,
    EarningFilters,
    EarningOut,
    EarningPage,
    FundingCreate,
    FundingOut,
    FundingPage,
    earning_data,
    funding_data,
)
from payouts.funds.models import Earning, Funding
from payouts.funds.services import earning_create, funding_create

FUNDING_TAGS = ["Fundings"]
EARNING_TAGS = ["Earnings"]


class FundingNotFound(NotFound):
    code = "funding_not_found"


class FundingsView(PlatformView):
    scope = "funds"

    @extend_schema(
        tags=FUNDING_TAGS,
        operation_id="fundings_create",
        summary="Record a funding of the platform's balance",
        description="Posts cash -> funding. `reference` is unique per platform "
        "(`duplicate_reference`).",
        request=FundingCreate,
        parameters=[header_parameter(required=True)],
        responses={201: FundingOut},
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        data = self.parse(FundingCreate, request.data)
        funding = funding_create(
            platform=self.platform,
            amount=data["amount"],
            currency=data["currency"],
            reference=data["reference"],
            actor=self.caller.actor,
        )
        return Response(
            funding_data(funding), status=201, headers={"Location": f"/v1/fundings/{funding.id}"}
        )

    @extend_schema(
        tags=FUNDING_TAGS,
        operation_id="fundings_list",
        summary="List fundings, newest first",
        parameters=keyset.parameters(),
        responses={200: FundingPage},
    )
    def get(self, request: Request) -> Response:
        """The platform's fundings, a page at a time: follow `next`. A `cursor` this API did not
        give out, or a `limit` outside 1 to 100, is a 400 naming it."""
        return self.page(Funding.objects.filter(platform_id=self.platform.id), funding_data)


class FundingView(PlatformView):
    scope = "funds"

    @extend_schema(
        tags=FUNDING_TAGS,
        operation_id="fundings_retrieve",
        summary="Retrieve a funding",
        responses={200: FundingOut},
    )
    def get(self, request: Request, funding_id: int) -> Response:
        """A funding with its status and the ledger entry that posted it. Another platform's funding
        is a 404 `funding_not_found`, as a missing one is."""
        fundings = Funding.objects.filter(platform_id=self.platform.id)
        funding = one_of(fundings, funding_id, error=FundingNotFound, what="funding")
        return Response(funding_data(funding))


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
        earnings = self.filtered(
            Earning.objects.filter(platform_id=self.platform.id),
            EarningFilters,
            {"payee": "payee_id"},
        )
        return self.page(earnings, earning_data)
