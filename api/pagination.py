"""Cursor pagination, newest first: ``limit`` (1 to 100, default 20), ``next`` and ``previous``."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request
from rest_framework.views import APIView

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


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

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except exceptions.NotFound:
            raise exceptions.ValidationError({"cursor": [self.invalid_cursor_message]}) from None
