"""Parse and validate what a client sends to the sandbox, as a strict provider would."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from sandbox.magic import IDENTIFIER_FIELDS

CURRENCY_RE = re.compile(r"[A-Z]{3}")
COUNTRY_RE = re.compile(r"[A-Z]{2}")
MAX_TEXT_CHARS = 140
MAX_KEY_CHARS = 255


class RequestInvalid(Exception):
    """The request cannot be served; rendered as ``{"error": {"code", "message", "field"}}``."""

    def __init__(self, status: int, code: str, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field


@dataclass(frozen=True)
class TransferInput:
    amount_minor: int
    currency: str
    reference: str
    details: dict[str, str]
    fingerprint: str  # equal for equal bodies (key order and spacing ignored)


def _invalid(field: str, message: str) -> RequestInvalid:
    return RequestInvalid(422, "validation_error", message, field)


def _text(obj: dict[str, Any], name: str, prefix: str = "") -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT_CHARS:
        raise _invalid(prefix + name, f"{name} must be a non-empty string of at most 140 chars")
    return value


def _code(obj: dict[str, Any], name: str, pattern: re.Pattern[str], prefix: str = "") -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _invalid(prefix + name, f"{name} must match {pattern.pattern}")
    return value


def idempotency_key_parse(raw: str | None) -> str:
    """Return the ``Idempotency-Key`` header's value; raise :class:`RequestInvalid` (400)."""
    if raw is None or not raw.strip():
        raise RequestInvalid(400, "idempotency_key_missing", "Idempotency-Key header is required")
    if len(raw) > MAX_KEY_CHARS or not raw.isprintable():
        raise RequestInvalid(
            400, "idempotency_key_invalid", "Idempotency-Key must be printable, <= 255 chars"
        )
    return raw


def transfer_input_parse(raw_body: bytes, *, max_amount_minor: int) -> TransferInput:
    """Parse a ``POST /v1/transfers`` body.

    Raises :class:`RequestInvalid` with status 422 and code ``validation_error`` (with the
    offending field), ``invalid_destination`` (no identifier to pay to) or ``limit_exceeded``.
    """
    try:
        body = json.loads(raw_body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise _invalid("", "the body must be JSON") from None
    if not isinstance(body, dict):
        raise _invalid("", "the body must be a JSON object")

    amount = body.get("amount_minor")
    # bool is an int in Python; JSON true must not pass as an amount of 1.
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise _invalid("amount_minor", "amount_minor must be a positive integer")
    if amount > max_amount_minor:
        raise RequestInvalid(
            422, "limit_exceeded", f"amount_minor exceeds {max_amount_minor}", "amount_minor"
        )
    currency = _code(body, "currency", CURRENCY_RE)
    reference = _text(body, "reference")

    destination = body.get("destination")
    if not isinstance(destination, dict):
        raise _invalid("destination", "destination must be an object")
    _text(destination, "method_type", "destination.")
    _code(destination, "country", COUNTRY_RE, "destination.")
    _code(destination, "currency", CURRENCY_RE, "destination.")
    _text(destination, "holder_name", "destination.")
    details = destination.get("details")
    if not isinstance(details, dict) or not all(
        isinstance(value, str) and len(value) <= MAX_TEXT_CHARS for value in details.values()
    ):
        raise _invalid("destination.details", "details must be an object of short strings")
    if not any(details.get(name) for name in IDENTIFIER_FIELDS):
        raise RequestInvalid(
            422,
            "invalid_destination",
            "details needs one of: " + ", ".join(IDENTIFIER_FIELDS),
            "destination.details",
        )

    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    fingerprint = hashlib.sha256(canonical.encode()).hexdigest()
    return TransferInput(amount, currency, reference, details, fingerprint)
