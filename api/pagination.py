"""Cursor pagination, newest first: ``limit`` (1 to 100, default 20), ``next`` and ``previous``."""

from __future__ import annotations

import re
from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import Cursor as CursorPosition
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from api.fields import MAX_ID

MAX_LIMIT = 100
DEFAULT_LIMIT = 20
# The positions this API gives out: a non-negative integer (an id or a line) that fits a bigint.
_POSITION = re.compile(r"[1-9][0-9]{0,18}|0")


class Cursor(CursorPagination):
    ordering = "-id"
    page_size = DEFAULT_LIMIT
    page_size_query_param = "limit"
    max_page_size = MAX_LIMIT
    invalid_cursor_message = "the cursor is not one this API gave out"

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get("limit")
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_LIMIT:
            raise exceptions.ValidationError(
                {"limit": [f"limit is a whole number from 1 to {MAX_LIMIT}"]}
            )
        return int(raw)

    def decode_cursor(self, request: Request) -> CursorPosition | None:
        """DRF checks a cursor's offset and direction but filters by its position as given, so
        a tampered one (``p=abc``) would fail inside the query: only a position this API could
        have given out is let through."""
        cursor = super().decode_cursor(request)
        # A string as decoded (the stubs say int).
        position = None if cursor is None or cursor.position is None else str(cursor.position)
        if position is not None and (not _POSITION.fullmatch(position) or int(position) > MAX_ID):
            raise exceptions.NotFound(self.invalid_cursor_message)
        return cursor

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from None
