"""``/v1/ledger/entries``: the platform's journal entries with their postings, read-only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api import keyset
from api.base import PlatformView
from api.serializers.ledger_entries import EntryFilters, EntryOut, EntryPage, entry_data
from payouts.funds.selectors import book_entries, book_entry

TAGS = ["Ledger"]


class LedgerEntriesView(PlatformView):
    scope = "ledger"

    @extend_schema(
        tags=TAGS,
        operation_id="ledger_entries_list",
        summary="List the platform's journal entries with their postings, newest first",
        parameters=[EntryFilters, *keyset.parameters()],
        responses={200: EntryPage},
    )
    def get(self, request: Request) -> Response:
        """The platform's journal entries with their postings, a page at a time, narrowed by `kind`
        and when they were recorded (`created_gte`, `created_lte`). Entries are never changed: a
        correction is a new entry that `reverses` another. A filter, `cursor` or `limit` that is not
        valid is a 400 naming it."""
        filters = self.query(EntryFilters)
        pages = keyset.Keyset(request)
        window = pages.window()
        entries = book_entries(
            platform=self.platform,
            kind=filters.get("kind"),
            created_gte=filters.get("created_gte"),
            created_lte=filters.get("created_lte"),
            id_below=window.id_below,
            id_above=window.id_above,
            limit=window.limit,
        )
        return pages.response(entries, lambda e: e.entry.id, entry_data)


class LedgerEntryView(PlatformView):
    scope = "ledger"

    @extend_schema(
        tags=TAGS,
        operation_id="ledger_entries_retrieve",
        summary="Retrieve a journal entry with its postings",
        responses={200: EntryOut},
    )
    def get(self, request: Request, entry_id: int) -> Response:
        """A journal entry with its postings, its effective date and the business objects it
        records. Any other entry is a 404 `ledger_entry_not_found`."""
        return Response(entry_data(book_entry(platform=self.platform, entry_id=entry_id)))
