"""Every ``/v1/`` path of the platform API."""

from __future__ import annotations

from django.urls import path, register_converter

from api.views import (
    balances,
    batches,
    earnings,
    events,
    fundings,
    ledger_accounts,
    ledger_entries,
    payee_balances,
    payees,
    payout_methods,
    payouts,
    webhook_endpoints,
)


class IdConverter:
    """A positive id that fits a bigint: anything else is not a path of ours (404)."""

    regex = "[1-9][0-9]{0,17}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(IdConverter, "id")

urlpatterns = [
    path("payouts", payouts.PayoutsView.as_view(), name="payouts"),
    path("payouts/<id:payout_id>", payouts.PayoutView.as_view(), name="payout"),
    path("payouts/<id:payout_id>/cancel", payouts.PayoutCancelView.as_view()),
    path("payouts/<id:payout_id>/transitions", payouts.PayoutTransitionsView.as_view()),
    path("fundings", fundings.FundingsView.as_view(), name="fundings"),
    path("fundings/<id:funding_id>", fundings.FundingView.as_view(), name="funding"),
    path("earnings", earnings.EarningsView.as_view(), name="earnings"),
    path("payees", payees.PayeesView.as_view(), name="payees"),
    path("payees/<id:payee_id>", payees.PayeeView.as_view(), name="payee"),
    path("payees/<id:payee_id>/payout-methods", payout_methods.MethodsView.as_view()),
    path("payees/<id:payee_id>/payout-methods/<id:method_id>", payout_methods.MethodView.as_view()),
    path(
        "payees/<id:payee_id>/payout-methods/<id:method_id>/disable",
        payout_methods.MethodDisableView.as_view(),
    ),
    path("payees/<id:payee_id>/balances", payee_balances.BalancesView.as_view()),
    path("payees/<id:payee_id>/payability", payee_balances.PayabilityView.as_view()),
    path("webhook-endpoints", webhook_endpoints.EndpointsView.as_view(), name="webhook-endpoints"),
    path("webhook-endpoints/<id:endpoint_id>", webhook_endpoints.EndpointView.as_view()),
    path(
        "webhook-endpoints/<id:endpoint_id>/rotate-secret",
        webhook_endpoints.EndpointRotateView.as_view(),
    ),
    path("events", events.EventsView.as_view(), name="events"),
    path("events/<id:event_id>", events.EventView.as_view()),
    path("events/<id:event_id>/redeliver", events.EventRedeliverView.as_view()),
    path("payout-batches", batches.BatchesView.as_view(), name="payout-batches"),
    path("payout-batches/<id:batch_id>", batches.BatchView.as_view(), name="payout-batch"),
    path("payout-batches/<id:batch_id>/items", batches.BatchItemsView.as_view()),
    path("payout-batches/<id:batch_id>/quote", batches.BatchQuoteView.as_view()),
    path("payout-batches/<id:batch_id>/approve", batches.BatchApproveView.as_view()),
    path("payout-batches/<id:batch_id>/cancel", batches.BatchCancelView.as_view()),
    path("balances", balances.BalancesView.as_view(), name="balances"),
    path("ledger/accounts", ledger_accounts.LedgerAccountsView.as_view(), name="ledger-accounts"),
    path("ledger/accounts/<id:account_id>", ledger_accounts.LedgerAccountView.as_view()),
    path(
        "ledger/accounts/<id:account_id>/statement", ledger_accounts.LedgerStatementView.as_view()
    ),
    path("ledger/entries", ledger_entries.LedgerEntriesView.as_view(), name="ledger-entries"),
    path("ledger/entries/<id:entry_id>", ledger_entries.LedgerEntryView.as_view()),
]
