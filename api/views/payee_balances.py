"""``/v1/payees/{id}/balances`` and ``/v1/payees/{id}/payability``: what a payee holds, and
whether (and why not) it can be paid."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.base import PlatformView
from api.serializers.payee_balances import BalanceList, PayabilityOut, PayabilityQuery, balance_data
from payouts.funds.balances import payee_balances
from payouts.payees.payability import payee_payability

TAGS = ["Payees"]


class BalancesView(PlatformView):
    scope = "payees"

    @extend_schema(
        tags=TAGS,
        operation_id="payees_balances",
        summary="A payee's balances, per currency",
        description="One line per currency the payee has ledger accounts in: `available` can "
        "be paid out now, `held` is reserved by payouts not yet submitted, `lifetime_paid` is "
        "the net amount of its payouts that were paid and not returned.",
        responses={200: BalanceList},
    )
    def get(self, request: Request, payee_id: int) -> Response:
        balances = payee_balances(platform=self.platform, payee_id=payee_id)
        return Response(
            {
                "results": [
                    balance_data(b.currency, b.available_minor, b.held_minor, b.lifetime_paid_minor)
                    for b in balances
                ]
            }
        )


class PayabilityView(PlatformView):
    scope = "payees"

    @extend_schema(
        tags=TAGS,
        operation_id="payees_payability",
        summary="Whether a payee can be paid, and every reason it cannot",
        description="`blockers` lists machine-readable reasons (`code`, `message`), empty when "
        "the payee is payable. Codes today: `payee_blocked`, `payee_archived`, "
        "`currency_not_supported`, `no_payout_method`; compliance adds more (treat an unknown "
        "code as a blocker).",
        parameters=[PayabilityQuery],
        responses={200: PayabilityOut},
    )
    def get(self, request: Request, payee_id: int) -> Response:
        query = self.query(PayabilityQuery)
        found = payee_payability(
            platform=self.platform, payee_id=payee_id, currency=query.get("currency")
        )
        return Response(
            {
                "payee": found.payee_id,
                "currency": found.currency,
                "is_payable": found.is_payable,
                "blockers": [{"code": b.code, "message": b.message} for b in found.blockers],
            }
        )
