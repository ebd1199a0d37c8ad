"""Every API error as ``application/problem+json`` (RFC 9457) with a stable ``code`` and the
fields at fault in ``errors``. This is the one exception handler of the API."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from api.middleware import request_id_of
from core.errors import DomainError, InvalidInput, NotFound, RateLimited
from payouts.common.errors import DuplicatePayee, DuplicateReference
from rails.methods.errors import InvalidMethod

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"

TITLES = {
    400: "Invalid request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
    500: "Internal error",
}

# DRF's own failures, by exception class: (status, code).
_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.ParseError: "malformed_request",
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "invalid_api_key",
    exceptions.PermissionDenied: "insufficient_scope",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limited",
    exceptions.ValidationError: "validation_error",
}


def domain_status(exc: DomainError) -> int:
    if isinstance(exc, NotFound):
        return status.HTTP_404_NOT_FOUND
    if isinstance(exc, RateLimited):
        return status.HTTP_429_TOO_MANY_REQUESTS
    if isinstance(exc, DuplicatePayee | DuplicateReference):
        return status.HTTP_409_CONFLICT
    if isinstance(exc, InvalidInput | InvalidMethod):  # the input itself is wrong
        return status.HTTP_400_BAD_REQUEST
    return status.HTTP_422_UNPROCESSABLE_ENTITY


def problem(
    status_code: int,
    code: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    request: HttpRequest | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"urn:payouts:problem:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
        "code": code,
        "errors": errors or [],
    }
    if request is not None:
        body["instance"] = request.path
        body["request_id"] = request_id_of(request)
    if extra:
        body.update(extra)
    return body


def _flatten(detail: Any, prefix: str = "") -> Iterator[dict[str, str]]:
    """DRF's nested ``serializer.errors`` as a flat list of {field, code, message}."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            if isinstance(key, int):  # a list's items, reported by position
                yield from _flatten(value, f"{prefix}[{key}]")
                continue
            name = "" if key == "non_field_errors" else str(key)
            path = f"{prefix}.{name}" if prefix and name else (prefix or name)
            yield from _flatten(value, path)
    elif isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            for item in detail:
                yield _error(prefix, item)
        else:
            for index, item in enumerate(detail):
                yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield _error(prefix, detail)


def _error(field: str, item: Any) -> dict[str, str]:
    code = getattr(item, "code", None) or "invalid"
    return {"field": field, "code": str(code), "message": str(item)}


def domain_problem(exc: DomainError, request: HttpRequest | None) -> tuple[int, dict[str, Any]]:
    status_code = domain_status(exc)
    field = exc.details.get("field")
    errors = (
        [{"field": str(field), "code": exc.code, "message": exc.message}]
        if isinstance(field, str)
        else []
    )
    details = {k: v for k, v in exc.details.items() if k != "field" and _is_plain(v)}
    extra = {"details": details} if details else None
    return status_code, problem(
        status_code, exc.code, exc.message, errors=errors, request=request, extra=extra
    )


def _is_plain(value: object) -> bool:
    return isinstance(value, str | int | float | bool | list | dict) or value is None


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        status_code, body = domain_problem(exc, request)
        if isinstance(exc, RateLimited):  # told the way the API's own rate limit tells it
            body["retry_after_s"] = exc.retry_after_s
            headers["Retry-After"] = str(exc.retry_after_s)
        return Response(body, status=status_code, headers=headers, content_type=PROBLEM_TYPE)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's handler500 logs it and answers a problem (config.urls)
    response = drf_exception_handler(exc, context)  # keeps WWW-Authenticate, Retry-After
    if response is not None:
        headers = {k: v for k, v in response.items() if k in {"WWW-Authenticate", "Retry-After"}}
    status_code = exc.status_code
    code = _code_of(exc)
    if isinstance(exc, exceptions.ValidationError):
        errors = list(_flatten(exc.detail))
        detail = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors[:5]
        )
        body = problem(
            status_code, code, detail or "invalid request", errors=errors, request=request
        )
    else:
        extra = None
        wait = getattr(exc, "wait", None)
        if isinstance(exc, exceptions.Throttled) and wait is not None:
            extra = {"retry_after_s": int(wait + 0.999)}
        body = problem(status_code, code, _text(exc.detail), request=request, extra=extra)
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_TYPE)


def _code_of(exc: exceptions.APIException) -> str:
    detail = exc.detail
    given = getattr(detail, "code", None)
    is_specific = isinstance(given, str) and "_" in given and given != "parse_error"
    if is_specific and not isinstance(exc, exceptions.ValidationError):
        return str(given)
    for cls in type(exc).__mro__:
        if cls in _DRF_CODES:
            return _DRF_CODES[cls]
    return "error"


def _text(detail: Any) -> str:
    if isinstance(detail, list):
        return "; ".join(str(d) for d in detail)
    if isinstance(detail, Mapping):
        return "; ".join(f"{k}: {v}" for k, v in detail.items())
    return str(detail)


def json_problem(request: HttpRequest, status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        problem(status_code, code, detail, request=request),
        status=status_code,
        content_type=PROBLEM_TYPE,
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django's 404 for paths no view matches, as a problem."""
    return json_problem(request, 404, "not_found", "no such path")


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's 500, as a problem (the error itself is logged by Django)."""
    return json_problem(request, 500, "internal_error", "an internal error occurred")
