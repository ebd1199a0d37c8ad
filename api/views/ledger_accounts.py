"""``/v1/ledger/accounts``: the platform's own book, read-only (accounts and their statements)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.serializers.ledger_accounts import (
    AccountFilters,
    AccountOut,
    AccountPage,
    StatementOut,
    StatementQuery,
    account_data,
    statement_data,
)
from payouts.funds.selectors import (
    book_account,
    book_accounts,
    book_statement,
)

TAGS = ["Ledger"]
STATEMENT_LIMIT = 100
_LINE = "s"  # statement cursors: "after this posting"


class LedgerAccountsView(PlatformView):
    scope = "ledger"

    @extend_schema(
        tags=TAGS,
        operation_id="ledger_accounts_list",
        summary="List the platform's ledger accounts, newest first",
        description="Every account of the platform's book with its current balance, on the "
        "account's normal side. A hot account (fees, in transit) shows the total of its shards.",
        parameters=[AccountFilters, *keyset.parameters()],
        responses={200: AccountPage},
    )
    def get(self, request: Request) -> Response:
        filters = self.query(AccountFilters)
        pages = keyset.Keyset(request)
        window = pages.window()
        accounts = book_accounts(
            platform=self.platform,
            currency=filters.get("currency"),
            code_prefix=filters.get("code_prefix"),
            id_below=window.id_below,
            id_above=window.id_above,
            limit=window.limit,
        )
        return pages.response(accounts, lambda a: a.id, account_data)


class LedgerAccountView(PlatformView):
    scope = "ledger"

    @extend_schema(
        tags=TAGS,
        operation_id="ledger_accounts_retrieve",
        summary="Retrieve a ledger account with its balance",
        responses={200: AccountOut},
    )
    def get(self, request: Request, account_id: int) -> Response:
        """An account of the platform's book with its current balance on the account's normal side,
        its floor and how many postings it has; a hot account (fees, in transit) shows the total of
        its shards. Any other account is a 404 `ledger_account_not_found`."""
        return Response(account_data(book_account(platform=self.platform, account_id=account_id)))


class LedgerStatementView(PlatformView):
    scope = "ledger"

    @extend_schema(
        tags=TAGS,
        operation_id="ledger_accounts_statement",
        summary="An account's statement for a date range",
        description="The opening balance before `date_from`, the postings with effective dates "
        "from `date_from` to `date_to` (at most 366 days) in date then recording order, each "
        "with the running balance, and the closing balance. Lines come a page at a time: follow "
        "`next`.",
        parameters=[
            StatementQuery,
            OpenApiParameter(
                "cursor",
                str,
                OpenApiParameter.QUERY,
                description="An opaque cursor from a previous page's `next` URL.",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": 100, "default": STATEMENT_LIMIT},
                OpenApiParameter.QUERY,
                description="How many lines per page.",
            ),
        ],
        responses={200: StatementOut},
    )
    def get(self, request: Request, account_id: int) -> Response:
        query = self.query(StatementQuery)
        limit = keyset.parse_limit(request, default=STATEMENT_LIMIT)
        raw = request.query_params.get("cursor")
        after = None if raw is None else keyset.decode_cursor(raw, _LINE)[1]
        page = book_statement(
            platform=self.platform,
            account_id=account_id,
            date_from=query["date_from"],
            date_to=query["date_to"],
            after_posting_id=after,
            limit=limit,
        )
        next_url = None
        if page.has_more:
            cursor = keyset.encode_cursor(_LINE, page.lines[-1].posting_id)
            next_url = keyset.page_url(request, cursor)
        return Response(statement_data(page, next_url))
