"""``Idempotency-Key`` on POST: the first request's response is stored with the key, in the same
transaction as the work it did, and replayed for the same key and body.

Because the key row is inserted in that transaction, a second request with the same key waits
on the unique index until the first commits (then replays it) or rolls back (then runs itself).
It waits at most ``IDEMPOTENCY_WAIT_S``; past that it gets 409
``idempotency_request_in_progress``. A response of 5xx is not stored: the work rolled back.

A response that shows a secret once (a webhook endpoint's signing secret) names its secret
fields (``secret_fields``): they are stored as ``null``, never in clear, and the stored headers
say so (``Idempotent-Redacted: secret``), so a replay answers the rest of the body with the
secret left out and that header.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import Caller
from api.models import IdempotencyKey
from api.problems import PROBLEM_TYPE, problem

HEADER = "Idempotency-Key"
REDACTED_HEADER = "Idempotent-Redacted"
# The response headers a replay repeats.
_KEPT_HEADERS = {"Location"}
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII

Handler = Callable[..., HttpResponseBase]


def header_parameter(*, required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        HEADER,
        str,
        OpenApiParameter.HEADER,
        required=required,
        description="A unique key (1 to 255 visible ASCII characters) per operation. A retry "
        "with the same key and body replays the first response; kept 30 days.",
        pattern=r"^[\x21-\x7e]{1,255}$",
    )


def idempotent(
    *, required: bool, secret_fields: tuple[str, ...] = ()
) -> Callable[[Handler], Handler]:
    """Wrap a POST handler of a ``PlatformView``. ``required`` for money-moving operations;
    ``secret_fields``: the top-level fields of its response that are shown once and never
    stored (a replay answers them as ``null``)."""

    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        def wrapper(view: APIView, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
            key = request.headers.get(HEADER)
            if key is None:
                if required:
                    raise exceptions.ValidationError(
                        {HEADER: ["this operation moves money: send an Idempotency-Key header"]},
                        code="idempotency_key_required",
                    )
                return handler(view, request, *args, **kwargs)
            if not _KEY.fullmatch(key):
                raise exceptions.ValidationError(
                    {HEADER: ["1 to 255 visible ASCII characters"]}, code="invalid"
                )
            return _run(
                view,
                request,
                key,
                lambda: handler(view, request, *args, **kwargs),
                secret_fields,
            )

        return wrapper

    return decorate


def _run(
    view: APIView,
    request: Request,
    key: str,
    call: Callable[[], HttpResponseBase],
    secret_fields: tuple[str, ...],
) -> HttpResponseBase:
    caller = request.user
    assert isinstance(caller, Caller)
    digest = request_hash(request)
    wait_ms = int(float(settings.IDEMPOTENCY_WAIT_S) * 1000)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                # The wait is bounded for this statement only (set_config runs before the
                # insert's conflict check; the next statement turns it off again).
                cursor.execute(
                    "INSERT INTO payouts_idempotencykey (platform_id, key, method, path,"
                    " request_hash, response_status, response_body, response_headers, created)"
                    " SELECT %s, %s, %s, %s, %s, 0, '', '{}', now()"
                    " FROM (SELECT set_config('lock_timeout', %s, true)) AS bounded_wait"
                    " ON CONFLICT (platform_id, key) DO NOTHING RETURNING id",
                    [
                        caller.platform.id,
                        key,
                        request.method,
                        request.path[:500],
                        digest,
                        str(wait_ms),
                    ],
                )
                row = cursor.fetchone()
                cursor.execute("SET LOCAL lock_timeout = 0")
            if row is None:
                stored = IdempotencyKey.objects.get(platform_id=caller.platform.id, key=key)
                return _replay(request, stored, digest)
            try:
                response = call()
            except Exception as exc:  # noqa: BLE001 - rendered here so the answer can be stored
                response = view.handle_exception(exc)
            assert isinstance(response, Response)
            # A failure of ours, or a refusal for now (429), is no answer to keep: the same key
            # is free to try again.
            if response.status_code >= 500 or response.status_code == 429:
                transaction.set_rollback(True)
                return response
            stored, redacted = redact(response.data, secret_fields)
            body = JSONRenderer().render(stored).decode() if stored else ""
            headers = {k: v for k, v in response.items() if k in _KEPT_HEADERS}
            if redacted:
                headers[REDACTED_HEADER] = ", ".join(redacted)
            IdempotencyKey.objects.filter(id=row[0]).update(
                response_status=response.status_code,
                response_body=body,
                response_headers=headers,
            )
            return response
    except OperationalError as exc:
        if getattr(exc.__cause__, "sqlstate", None) != "55P03":  # lock_not_available
            raise
        return Response(
            problem(
                409,
                "idempotency_request_in_progress",
                "a request with this Idempotency-Key is still being processed; retry later",
                request=request,
            ),
            status=409,
            headers={"Retry-After": "1"},
            content_type=PROBLEM_TYPE,
        )


def _replay(request: Request, stored: IdempotencyKey, digest: str) -> HttpResponseBase:
    if stored.request_hash != digest:
        return Response(
            problem(
                422,
                "idempotency_key_reused",
                "this Idempotency-Key was used with a different request "
                f"({stored.method} {stored.path}); use a new key for a new request",
                request=request,
            ),
            status=422,
            content_type=PROBLEM_TYPE,
        )
    content_type = PROBLEM_TYPE if stored.response_status >= 400 else "application/json"
    replay = HttpResponse(
        stored.response_body, status=stored.response_status, content_type=content_type
    )
    for name, value in {**stored.response_headers, "Idempotent-Replayed": "true"}.items():
        replay[name] = value
    return replay


def redact(data: Any, secret_fields: tuple[str, ...]) -> tuple[Any, list[str]]:
    """``data`` as it may be stored: each secret field it carries set to ``None``, and the
    names of those fields."""
    if not isinstance(data, Mapping):
        return data, []
    redacted = [name for name in secret_fields if data.get(name) is not None]
    return {**data, **dict.fromkeys(redacted)}, redacted


def request_hash(request: Request) -> str:
    """Method, path and body, with JSON canonicalised so key order and spacing do not matter.
    Runs before the view parses anything: a raw body is read here first (Django keeps it, and
    DRF's parsers then read the kept copy)."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    media = request.content_type.split(";")[0].strip().lower()
    if media.startswith("multipart/") or media == "application/x-www-form-urlencoded":
        data: Any = request.data
        for name in sorted(data.keys()):
            for value in data.getlist(name):
                digest.update(name.encode() + b"=")
                if hasattr(value, "read"):
                    for chunk in value.chunks():
                        digest.update(chunk)
                    value.seek(0)
                else:
                    digest.update(str(value).encode())
                digest.update(b"\n")
        return digest.hexdigest()
    raw = request.body
    if media == "application/json":
        canonical = json.dumps(request.data, sort_keys=True, separators=(",", ":"))
        digest.update(canonical.encode())
    else:
        digest.update(raw)
    return digest.hexdigest()
