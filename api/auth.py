"""``Authorization: Bearer <api key>``: who is calling, for which platform, with which scopes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from payouts.common.errors import InvalidApiKey
from payouts.platforms.models import ApiKey, Platform
from payouts.platforms.services import api_key_authenticate


@dataclass(frozen=True)
class Caller:
    """``request.user`` for API requests: the key, its platform and the actor name recorded on
    everything the request does."""

    api_key: ApiKey

    @property
    def platform(self) -> Platform:
        return self.api_key.platform

    @property
    def actor(self) -> str:
        return f"api_key:{self.api_key.prefix}"

    @property
    def is_authenticated(self) -> bool:
        return True


class ApiKeyAuthentication(BaseAuthentication):
    """A missing header leaves the request anonymous (401 from the permission check); a
    malformed, unknown or revoked key is refused with 401 at once."""

    def authenticate(self, request: Request) -> tuple[Caller, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != b"bearer" or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "the Authorization header must be 'Bearer <api key>'", code="invalid_api_key"
            )
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(
                "invalid or revoked API key", code="invalid_api_key"
            ) from None
        try:
            key = api_key_authenticate(secret=secret)
        except InvalidApiKey as exc:
            raise exceptions.AuthenticationFailed(exc.message, code=exc.code) from None
        return Caller(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="payouts"'


class HasScope(BasePermission):
    """The key must be authenticated and carry the view's ``scope``."""

    message = "this API key lacks the scope this endpoint needs"

    def has_permission(self, request: Request, view: Any) -> bool:
        caller = request.user
        if not isinstance(caller, Caller):
            raise exceptions.NotAuthenticated(
                "an API key is required: Authorization: Bearer <api key>"
            )
        scope = getattr(view, "scope", None)
        assert scope, f"{type(view).__name__} must name its scope"
        if scope not in caller.api_key.scopes:
            raise exceptions.PermissionDenied(
                f"this API key lacks the '{scope}' scope", code="insufficient_scope"
            )
        return True


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "API key"}
