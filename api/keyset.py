"""Keyset pagination for lists read through selectors (the ledger's), which are not querysets.

It gives the same envelope and parameters as ``api.pagination.Cursor``: newest (highest
id) first, ``limit`` 1 to 100, opaque ``cursor`` values in the ``next`` and ``previous`` URLs,
and a 400 on the ``cursor`` field for a cursor this API did not give out. The selector is asked
for one row more than the page so the paginator knows whether another page follows.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from api.fields import MAX_ID
from api.pagination import DEFAULT_LIMIT, MAX_LIMIT

T = TypeVar("T")

INVALID_CURSOR = "the cursor is not one this API gave out"
_CURSOR = re.compile(r"([a-z]):([1-9][0-9]{0,18}|0)")
BELOW, ABOVE = "b", "a"


def encode_cursor(kind: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(raw: str, kinds: str) -> tuple[str, int]:
    """``(kind, value)`` of a cursor this API gave out with one of ``kinds``, or a 400."""
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, ValueError):
        text = ""
    found = _CURSOR.fullmatch(text)
    if found is None or found[1] not in kinds or int(found[2]) > MAX_ID:
        raise exceptions.ValidationError({"cursor": [INVALID_CURSOR]})
    return found[1], int(found[2])


def parse_limit(request: Request, *, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = request.query_params.get("limit")
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise exceptions.ValidationError(
            {"limit": [f"limit is a whole number from 1 to {maximum}"]}
        )
    return int(raw)


def page_url(request: Request, cursor: str) -> str:
    return str(replace_query_param(request.build_absolute_uri(), "cursor", cursor))


def parameters(*, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> list[OpenApiParameter]:
    """``cursor`` and ``limit``, for ``@extend_schema(parameters=...)``."""
    return [
        OpenApiParameter(
            "cursor",
            str,
            OpenApiParameter.QUERY,
            description="An opaque cursor from a previous page's `next` or `previous` URL.",
        ),
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
            OpenApiParameter.QUERY,
            description="How many results per page.",
        ),
    ]


@dataclass(frozen=True)
class Window:
    """What a selector is asked for: up to ``limit`` rows, newest first, with ids below
    ``id_below`` or (counting up from it) just above ``id_above``."""

    id_below: int | None
    id_above: int | None
    limit: int


class Keyset:
    """One page of a selector's rows, newest first."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.size = parse_limit(request)
        raw = request.query_params.get("cursor")
        self.cursor = None if raw is None else decode_cursor(raw, BELOW + ABOVE)

    def window(self) -> Window:
        kind, value = self.cursor or ("", 0)
        return Window(
            id_below=value if kind == BELOW else None,
            id_above=value if kind == ABOVE else None,
            limit=self.size + 1,
        )

    def response(
        self, rows: Sequence[T], key: Callable[[T], int], render: Callable[[T], Any]
    ) -> Response:
        """The envelope around ``rows`` (what the selector returned for ``window()``)."""
        kind, value = self.cursor or ("", 0)
        has_more = len(rows) > self.size
        if kind == ABOVE:
            page = list(rows[-self.size :]) if has_more else list(rows)
            newer = has_more
            older = True
        else:
            page = list(rows[: self.size])
            newer = kind == BELOW
            older = has_more
        first = key(page[0]) if page else None
        last = key(page[-1]) if page else None
        next_url = previous_url = None
        if older:
            bound = last if last is not None else value + 1
            next_url = page_url(self.request, encode_cursor(BELOW, bound))
        if newer:
            bound = first if first is not None else max(value - 1, 0)
            previous_url = page_url(self.request, encode_cursor(ABOVE, bound))
        return Response(
            {"next": next_url, "previous": previous_url, "results": [render(r) for r in page]}
        )
