"""The OpenAPI schema: every operation documents the problem bodies it can answer with."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema as BaseAutoSchema

from api.body_limit import MAX_BODY_BYTES
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


# Every request that may carry a body is bounded (api.body_limit).
BODY_TOO_LARGE = f"Request body larger than {MAX_BODY_BYTES // (1024 * 1024)} MB"
BODY_METHODS = {"POST", "PUT", "PATCH"}


class AutoSchema(BaseAutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)
        if getattr(self.view, "scope", None) is None:
            return bodies
        problems = dict(PROBLEM_DESCRIPTIONS)
        if self.method in BODY_METHODS:
            problems[413] = BODY_TOO_LARGE
        for status, description in sorted(problems.items()):
            if str(status) in bodies:
                continue
            body = self._get_response_for_code(
                Problem, str(status), media_types=["application/problem+json"]
            )
            body["description"] = description
            bodies[str(status)] = body
        return bodies


def nullable_types(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Give a nullable property that wraps a component the type of that component.

    In OpenAPI 3.0 ``nullable`` only means something next to a ``type`` (Redocly's
    ``nullable-type-sibling``), and drf-spectacular leaves the type out where a nullable field
    refers to a component: a nested serializer (``allOf``) or an enum (``oneOf`` with
    ``NullEnum``; the enum hook moves any type the field had into the component). A
    postprocessing hook, so it runs after drf-spectacular's enum hook has built those ``oneOf``.
    """
    schemas = result["components"]["schemas"]
    for component in schemas.values():
        properties = component.get("properties", {})
        for name, prop in properties.items():
            if not prop.get("nullable") or "type" in prop:
                continue
            refs = [part["$ref"] for part in prop.get("allOf", prop.get("oneOf", []))]
            types = {schemas[ref.rsplit("/", 1)[-1]].get("type") for ref in refs} - {None}
            assert len(types) == 1, f"cannot type the nullable property {name}: {prop}"
            properties[name] = {"type": types.pop(), **prop}
    return result
