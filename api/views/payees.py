"""``/v1/payees``: create, list, retrieve and update payees."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.idempotency import header_parameter, idempotent
from api.serializers.payees import PayeeCreate, PayeeFilters, PayeeOut, PayeePage, PayeeUpdate
from payouts.payees.representation import payee_data
from payouts.payees.selectors import payee_get, payee_list
from payouts.payees.services import payee_create, payee_update

TAGS = ["Payees"]


class PayeesView(PlatformView):
    scope = "payees"

    @extend_schema(
        tags=TAGS,
        operation_id="payees_create",
        summary="Create a payee",
        description="`external_id` is your own id for the payee, unique per platform: a second "
        "payee with the same one is refused with 409 `duplicate_external_id`.",
        request=PayeeCreate,
        parameters=[header_parameter(required=False)],
        responses={201: PayeeOut},
    )
    @idempotent(required=False)
    def post(self, request: Request) -> Response:
        data = self.parse(PayeeCreate, request.data)
        payee = payee_create(
            platform=self.platform,
            external_id=data["external_id"],
            type=data["type"],
            legal_name=data["name"],
            email=data.get("email", ""),
            country=data["country"],
            metadata=data.get("metadata", {}),
        )
        return Response(
            payee_data(payee), status=201, headers={"Location": f"/v1/payees/{payee.id}"}
        )

    @extend_schema(
        tags=TAGS,
        operation_id="payees_list",
        summary="List payees, newest first",
        parameters=[PayeeFilters, *keyset.parameters()],
        responses={200: PayeePage},
    )
    def get(self, request: Request) -> Response:
        """The platform's payees, a page at a time, narrowed by `status`, `external_id` and when
        they were created (`created_gte`, `created_lte`). A filter, `cursor` or `limit` that is not
        valid is a 400 naming it."""
        filters = self.query(PayeeFilters)
        return self.page(payee_list(platform_id=self.platform.id, **filters), payee_data)


class PayeeView(PlatformView):
    scope = "payees"

    @extend_schema(
        tags=TAGS,
        operation_id="payees_retrieve",
        summary="Retrieve a payee",
        responses={200: PayeeOut},
    )
    def get(self, request: Request, payee_id: int) -> Response:
        """A payee with its status and KYC tier. Another platform's payee is a 404
        `payee_not_found`, as a missing one is."""
        return Response(payee_data(payee_get(platform=self.platform, payee_id=payee_id)))

    @extend_schema(
        tags=TAGS,
        operation_id="payees_update",
        summary="Update a payee's details or status",
        description="Only the fields sent change. `status` is active, blocked or archived: a "
        "blocked or archived payee cannot be paid. `metadata` replaces the whole object.",
        request=PayeeUpdate,
        responses={200: PayeeOut},
    )
    def patch(self, request: Request, payee_id: int) -> Response:
        data = self.parse(PayeeUpdate, request.data)
        if "name" in data:
            data["legal_name"] = data.pop("name")
        payee = payee_update(platform=self.platform, payee_id=payee_id, **data)
        return Response(payee_data(payee))
