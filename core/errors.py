"""Typed domain errors with stable codes, shared by every app."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """An expected failure: a stable ``code``, a human message and machine-readable details."""

    code = "domain_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class InvalidInput(DomainError):
    """Input that can never be valid (a malformed amount, an unknown currency, ...)."""

    code = "invalid_input"


class NotFound(DomainError):
    code = "not_found"


class RateLimited(DomainError):
    """Too many requests of one kind for now: ``retry_after_s`` says when there is room again
    (the API answers 429 with ``Retry-After``). Nothing was done."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int, **details: Any) -> None:
        super().__init__(message, retry_after_s=retry_after_s, **details)
        self.retry_after_s = retry_after_s


def require_id(value: object, name: str) -> int:
    """An object id as given to a service: a positive int, or ``InvalidInput``."""
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise InvalidInput(f"{name} must be a positive integer id", field=name)
    return value
