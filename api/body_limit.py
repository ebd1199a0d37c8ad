"""One limit on every request body, enforced before anything reads it.

``MAX_BODY_BYTES`` (5 MB, what a batch's CSV may be) bounds every request with a body, on every
path: the API, the provider callback, the admin. A declared ``Content-Length`` over the limit is
refused before a byte is read. A body of unknown length (``Transfer-Encoding: chunked``, which a
WSGI server marks with ``wsgi.input_terminated``) is read here up to the limit and one byte, so
that a body over it is refused having read no more, and one within it reaches the view (Django
alone would see no length and read such a body as empty). Either refusal is a 413 problem,
``request_too_large`` unless the view names its own (``body_too_large``, for a batch).

It runs as ``process_view``, once the path is resolved and before any other middleware's
(``CsrfViewMiddleware`` reads form bodies there), so it must come first in ``MIDDLEWARE`` after
the request id.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from api.problems import json_problem

MAX_BODY_BYTES = 5 * 1024 * 1024
_CHUNK_BYTES = 64 * 1024


@dataclass(frozen=True)
class TooLarge:
    """The problem a view answers for a body over the limit."""

    code: str
    detail: str


REQUEST_TOO_LARGE = TooLarge(
    "request_too_large", f"a request body is at most {MAX_BODY_BYTES // (1024 * 1024)} MB"
)


class BodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> JsonResponse | None:
        declared = str(request.META.get("CONTENT_LENGTH") or "").strip()
        if declared:
            if not _is_over_limit(declared):
                return None
        elif not request.META.get("wsgi.input_terminated") or not _read_unknown_length(request):
            return None
        # A DRF view is a function whose ``cls`` is the view class.
        too_large = getattr(getattr(view_func, "cls", None), "body_too_large", REQUEST_TOO_LARGE)
        return json_problem(request, 413, too_large.code, too_large.detail)


def _is_over_limit(declared: str) -> bool:
    """A Content-Length that is not a number is Django's to ignore (it reads no body then)."""
    if not (declared.isascii() and declared.isdigit()):
        return False
    return len(declared) > len(str(MAX_BODY_BYTES)) or int(declared) > MAX_BODY_BYTES


def _read_unknown_length(request: HttpRequest) -> bool:
    """Read a body of unknown length up to the limit and one byte: True when it is over the
    limit; otherwise the request reads what was read, with its length now known."""
    stream = request.META["wsgi.input"]
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY_BYTES:
        chunk = stream.read(min(_CHUNK_BYTES, MAX_BODY_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_BODY_BYTES:
        return True
    body = b"".join(chunks)
    # What WSGIRequest would have built had the length been declared: a stream of the body,
    # and the length DRF and Django's body read by.
    request._stream = io.BytesIO(body)
    request.META["CONTENT_LENGTH"] = str(len(body))
    return False
