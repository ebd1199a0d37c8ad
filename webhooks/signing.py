"""Webhook signatures: sign a body on our side, verify it on the receiver's.

This module has no dependency beyond the standard library (no Django), so a receiver can copy it
as it is. The header looks like::

    Payouts-Signature: t=1767225600,v1=5257a869e7ec...(64 hex digits)

``t`` is the Unix time of signing and each ``v1`` is the hex HMAC-SHA256, keyed by the endpoint's
secret (the whole ``whsec_...`` string, as UTF-8), of ``"<t>.<raw body>"``. While a secret is being
rotated the header carries two ``v1`` values, one per secret, so a receiver holding either the new
or the previous secret verifies it. Unknown keys (a future ``v2``) are ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "Payouts-Signature"
DEFAULT_TOLERANCE_S = 300
MAX_HEADER_LENGTH = 4096


class SignatureError(Exception):
    """The header is missing or malformed, its timestamp is too old (or too far ahead), or no
    ``v1`` value matches the body. Answer the request with a 4xx and do not act on it."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()


def sign(body: bytes, secrets: list[str], timestamp: int) -> str:
    """The ``Payouts-Signature`` header value for ``body``: one ``v1`` per secret, in the order
    given (the current secret first, then the previous one during a rotation)."""
    if not secrets or not all(secrets):
        raise ValueError("at least one non-empty secret is required")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError("timestamp is Unix seconds")
    return ",".join([f"t={timestamp}", *(f"v1={_digest(s, timestamp, body)}" for s in secrets)])


def _parse(header: str) -> tuple[int, list[str]]:
    if not isinstance(header, str) or not header or len(header) > MAX_HEADER_LENGTH:
        raise SignatureError("the signature header is missing or too long")
    timestamps: list[str] = []
    signatures: list[str] = []
    for part in header.split(","):
        name, separator, value = part.strip().partition("=")
        if not separator:
            raise SignatureError("the signature header is a list of key=value pairs")
        if name == "t":
            timestamps.append(value)
        elif name == "v1":
            signatures.append(value)
    if len(timestamps) != 1 or not (timestamps[0].isascii() and timestamps[0].isdigit()):
        raise SignatureError("the signature header needs exactly one t=<unix seconds>")
    if not signatures:
        raise SignatureError("the signature header has no v1 signature")
    return int(timestamps[0]), signatures


def verify(
    body: bytes,
    header: str,
    secret: str,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: int | None = None,
) -> None:
    """Check that ``header`` signs exactly this raw ``body`` with ``secret``, recently.

    Use the body's bytes as received, before any JSON parsing. Checks, in order: the header is
    well formed (one ``t``, at least one ``v1``); ``t`` is within ``tolerance_s`` seconds of
    ``now`` (default: the current time), so a captured request cannot be replayed later; one
    ``v1`` equals the expected HMAC (compared in constant time). Raises :class:`SignatureError`
    when any check fails, and ``ValueError`` for an empty ``secret``, which would let anybody
    sign. Returns ``None`` when the signature is good."""
    if not secret:
        raise ValueError("a webhook secret is required")
    timestamp, signatures = _parse(header)
    moment = int(time.time()) if now is None else now
    if abs(moment - timestamp) > tolerance_s:
        raise SignatureError("the signature timestamp is outside the tolerance")
    expected = _digest(secret, timestamp, body).encode()
    # Every candidate is compared, as bytes: compare_digest refuses non-ASCII str, and the
    # header is the sender's to choose.
    matches = [hmac.compare_digest(expected, s.encode("utf-8", "replace")) for s in signatures]
    if not any(matches):
        raise SignatureError("no signature matches the body")
