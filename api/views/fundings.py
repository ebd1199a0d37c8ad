"""``/v1/fundings``: money into a platform's balance."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.idempotency import header_parameter, idempotent
from api.serializers.fundings import FundingCreate, FundingOut, FundingPage, funding_data
from payouts.funds.selectors import funding_get, funding_list
from payouts.funds.services import funding_create

FUNDING_TAGS = ["Fundings"]


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
        return self.page(funding_list(platform_id=self.platform.id), funding_data)


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
        funding = funding_get(platform_id=self.platform.id, funding_id=funding_id)
        return Response(funding_data(funding))
