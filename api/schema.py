"""The OpenAPI schema: every operation documents the problem bodies it can answer with."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

from api.serializers.common import Problem

PROBLEM_DESCRIPTIONS = {
    400: "Invalid request: `errors` lists the fields at fault",
    401: "Missing, invalid or revoked API key",
    403: "The API key lacks the scope",
    404: "No such object for this platform",
    406: "Only application/json is served",
    409: "Conflict (a duplicate, or the same Idempotency-Key still in progress)",
    415: "Unsupported request media type",
    422: "Valid request the current state refuses (for example `insufficient_funds`)",
    429: "Rate limit exceeded: see Retry-After",
}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        if getattr(self.view, "scope", None) is None:
            return bodies
        for status, description in PROBLEM_DESCRIPTIONS.items():
            if str(status) in bodies:
                continue
            body = self._get_response_for_code(
                Problem, str(status), media_types=["application/problem+json"]
            )
            body["description"] = description
            bodies[str(status)] = body
        return bodies
