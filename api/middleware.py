"""``X-Request-Id`` on every response, and one access-log line per request that carries it."""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("payouts.api.access")

_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")


def request_id_of(request: HttpRequest) -> str:
    return getattr(request, "request_id", "")


class RequestIdMiddleware:
    """Keeps a well-formed ``X-Request-Id`` the client sent, otherwise makes one."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        given = request.headers.get("X-Request-Id", "")
        request_id = given if _CLIENT_ID.fullmatch(given) else f"req_{uuid.uuid4().hex}"
        request.request_id = request_id  # type: ignore[attr-defined]
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-Id"] = request_id
        if request.path.startswith("/v1/"):
            user = getattr(request, "api_caller", None)
            logger.info(
                "%s %s %s %.1fms request_id=%s key=%s",
                request.method,
                request.path,
                response.status_code,
                (time.perf_counter() - started) * 1000,
                request_id,
                user or "-",
            )
        return response
