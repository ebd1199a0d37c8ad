"""``/v1/payees/{id}/payout-methods``: add, list, retrieve and disable a payee's payout methods.
Sensitive values are stored encrypted and never shown again: only the last 4."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.idempotency import header_parameter, idempotent
from api.serializers.payout_methods import (
    MethodCreate,
    MethodCreateBody,
    MethodDisable,
    MethodFilters,
    MethodOut,
    MethodPage,
    method_data,
)
from payouts.payees.selectors import method_get, method_list
from payouts.payees.services import method_add, method_disable

TAGS = ["Payout methods"]


class MethodsView(PlatformView):
    scope = "payees"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_methods_create",
        summary="Add a payout method to a payee",
        description="The body's fields depend on `type`. Every value is checked for real "
        "(ABA and IBAN check digits, CLABE, CPF/CNPJ, card tokens, emails and phones); a "
        "refusal is a 422 whose `code` and `errors[].field` name the culprit, such as "
        "`invalid_routing_number` on `routing_number`. Unknown fields are refused.",
        request=MethodCreateBody,
        parameters=[header_parameter(required=False)],
        responses={201: MethodOut},
    )
    @idempotent(required=False)
    def post(self, request: Request, payee_id: int) -> Response:
        data = self.parse(MethodCreate, request.data)
        method = method_add(
            platform=self.platform,
            payee_id=payee_id,
            type=data["type"],
            currency=data["currency"],
            fields=data["fields"],
            actor=self.caller.actor,
        )
        return Response(
            method_data(method),
            status=201,
            headers={"Location": f"/v1/payees/{payee_id}/payout-methods/{method.id}"},
        )

    @extend_schema(
        tags=TAGS,
        operation_id="payout_methods_list",
        summary="List a payee's payout methods, newest first",
        parameters=[MethodFilters, *keyset.parameters()],
        responses={200: MethodPage},
    )
    def get(self, request: Request, payee_id: int) -> Response:
        """The payee's payout methods, a page at a time, narrowed by `status` and `currency`; each
        shows only what is safe to show (`details`, `last4`). An unknown payee is a 404
        `payee_not_found`; a filter, `cursor` or `limit` that is not valid is a 400."""
        filters = self.query(MethodFilters)
        methods = method_list(platform=self.platform, payee_id=payee_id, **filters)
        return self.page(methods, method_data)


class MethodView(PlatformView):
    scope = "payees"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_methods_retrieve",
        summary="Retrieve a payout method",
        responses={200: MethodOut},
    )
    def get(self, request: Request, payee_id: int, method_id: int) -> Response:
        """A payout method of the payee, with only what is safe to show (`details`, `last4`). An
        unknown payee is a 404 `payee_not_found`; a method that is not this payee's is a 404
        `payout_method_not_found`."""
        method = method_get(platform=self.platform, payee_id=payee_id, method_id=method_id)
        return Response(method_data(method))


class MethodDisableView(PlatformView):
    scope = "payees"

    @extend_schema(
        tags=TAGS,
        operation_id="payout_methods_disable",
        summary="Disable a payout method",
        description="It stays on record, with the payouts already made to it; it cannot be "
        "paid to again. Disabling a disabled method changes nothing.",
        request=MethodDisable,
        parameters=[header_parameter(required=False)],
        responses={200: MethodOut},
    )
    @idempotent(required=False)
    def post(self, request: Request, payee_id: int, method_id: int) -> Response:
        data = self.parse(MethodDisable, request.data)
        method = method_disable(
            platform=self.platform,
            payee_id=payee_id,
            method_id=method_id,
            actor=self.caller.actor,
            reason=data.get("reason", ""),
        )
        return Response(method_data(method))
