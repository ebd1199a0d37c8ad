"""The base of every platform-facing view: API-key auth, scope check, rate limit, and helpers
that list with cursor pagination."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.auth import ApiKeyAuthentication, Caller, HasScope
from api.pagination import Cursor
from api.serializers.strict import StrictSerializer
from api.throttling import PerKeyRateThrottle, auth_failure_record, auth_failures_check
from payouts.platforms.models import Platform


class PlatformView(APIView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasScope]
    throttle_classes = [PerKeyRateThrottle]
    scope: str = ""

    @property
    def caller(self) -> Caller:
        caller = self.request.user
        assert isinstance(caller, Caller)
        return caller

    @property
    def platform(self) -> Platform:
        return self.caller.platform

    def perform_authentication(self, request: Request) -> None:
        """Authenticate, unless the client's address has failed too often (429); a key that
        fails counts against its address. A request without a key is no guess and counts not."""
        address = str(request.META.get("REMOTE_ADDR") or "")
        if not request.META.get("HTTP_AUTHORIZATION"):
            super().perform_authentication(request)
            return
        auth_failures_check(address)
        try:
            super().perform_authentication(request)
        except exceptions.AuthenticationFailed:
            auth_failure_record(address)
            raise

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        request._request.api_caller = self.caller.api_key.prefix  # type: ignore[attr-defined]

    def parse(self, serializer_class: type[StrictSerializer], data: Any) -> dict[str, Any]:
        """A validated request body, or a 400 with one error per field. Bodies are strict: a
        field the operation does not define is an error of its own, never ignored."""
        assert issubclass(serializer_class, StrictSerializer), (
            f"{serializer_class.__name__} parses a request body: make it a StrictSerializer"
        )
        return _validated(serializer_class, data)

    def query(self, serializer_class: type[serializers.Serializer]) -> dict[str, Any]:
        """Validated query parameters (filters), or a 400. Unknown parameter names are ignored
        (docs/api.md): a URL may carry a client's own tracking parameters."""
        known = set(serializer_class().fields)
        data = {k: v for k, v in self.request.query_params.items() if k in known}
        return _validated(serializer_class, data)

    def page(self, queryset: QuerySet[Any], render: Any) -> Response:
        """One page of ``queryset`` (newest first), each object rendered by ``render``."""
        paginator = Cursor()
        objects = paginator.paginate_queryset(queryset, self.request, view=self) or []
        return paginator.get_paginated_response([render(obj) for obj in objects])


def _validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
