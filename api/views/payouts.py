"""``/v1/payouts``: create, list, retrieve, cancel and the status history."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.idempotency import header_parameter, idempotent
from api.serializers.payouts import (
    PayoutCancel,
    PayoutCreate,
    PayoutFilters,
    PayoutOut,
    PayoutPage,
    TransitionList,
    transition_data,
)
from payouts.lifecycle.representation import payout_data
from payouts.lifecycle.selectors import payout_get, payout_list, payout_transitions
from payouts.lifecycle.services import payout_cancel, payout_create

TAGS = ["Payouts"]


class PayoutsView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payouts_create",
        summary="Create a payout",
        description="Places a hold on the payee's available balance and schedules the payout "
        "(or holds it for review or approval). Fails with `insufficient_funds` and creates "
        "nothing when the balance does not cover it.",
        request=PayoutCreate,
        parameters=[header_parameter(required=True)],
        responses={201: PayoutOut},
    )
    @idempotent(required=True)
    def post(self, request: Request) -> Response:
        data = self.parse(PayoutCreate, request.data)
        payout = payout_create(
            platform=self.platform,
            payee_id=data["payee"],
            method_id=data["payout_method"],
            amount=data["amount"],
            currency=data["currency"],
            speed=data["speed"],
            description=data.get("description", ""),
            scheduled_for=data.get("scheduled_for"),
            actor=self.caller.actor,
        )
        # Rendered from the instance the service returns (its method is already loaded).
        return Response(
            payout_data(payout), status=201, headers={"Location": f"/v1/payouts/{payout.id}"}
        )

    @extend_schema(
        tags=TAGS,
        operation_id="payouts_list",
        summary="List payouts, newest first",
        parameters=[PayoutFilters, *keyset.parameters()],
        responses={200: PayoutPage},
    )
    def get(self, request: Request) -> Response:
        """The platform's payouts, a page at a time, narrowed by `status`, `payee`, `batch` and when
        they were created (`created_gte`, `created_lte`). A filter, `cursor` or `limit` that is not
        valid is a 400 naming it."""
        filters = self.query(PayoutFilters)
        return self.page(payout_list(platform_id=self.platform.id, **filters), payout_data)


class PayoutView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payouts_retrieve",
        summary="Retrieve a payout",
        responses={200: PayoutOut},
    )
    def get(self, request: Request, payout_id: int) -> Response:
        """A payout with its amount, fee and net amount, its method, rail and estimated arrival, the
        ledger entries that record it and, once it failed or was returned, `failure_code` and
        `failure_message`. Another platform's payout is a 404 `payout_not_found`, as a missing one
        is."""
        return Response(payout_data(payout_get(platform_id=self.platform.id, payout_id=payout_id)))


class PayoutCancelView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payouts_cancel",
        summary="Cancel a payout before it is submitted",
        description="Allowed while pending, in review, awaiting approval or scheduled; releases "
        "the hold. Afterwards: `payout_not_cancelable`.",
        request=PayoutCancel,
        parameters=[header_parameter(required=False)],
        responses={200: PayoutOut},
    )
    @idempotent(required=False)
    def post(self, request: Request, payout_id: int) -> Response:
        data = self.parse(PayoutCancel, request.data)
        payout_get(platform_id=self.platform.id, payout_id=payout_id)
        payout_cancel(
            platform=self.platform,
            payout_id=payout_id,
            actor=self.caller.actor,
            reason=data.get("reason", ""),
        )
        return Response(payout_data(payout_get(platform_id=self.platform.id, payout_id=payout_id)))


class PayoutTransitionsView(PlatformView):
    scope = "payouts"

    @extend_schema(
        tags=TAGS,
        operation_id="payouts_transitions",
        summary="A payout's full status history, oldest first",
        responses={200: TransitionList},
    )
    def get(self, request: Request, payout_id: int) -> Response:
        """Every status change the payout went through: from and to which status, when, by whom and
        why, and the ledger entry it posted if any (the first has `from: null`). Another platform's
        payout is a 404 `payout_not_found`."""
        transitions = payout_transitions(platform_id=self.platform.id, payout_id=payout_id)
        return Response({"results": [transition_data(t) for t in transitions]})
