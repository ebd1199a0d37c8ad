"""Our adapter for the sandbox provider (its API: ``sandbox/README.md``). :class:`SandboxClient`
submits transfers and reads their status and event feed; :func:`verify_callback` authenticates
and parses its signed callback batches. How an answer to a submission becomes an error
(:mod:`rails.providers.base`) and then an outcome, which the payouts app relies on:

================================  =======================  ========================================
answer                            error kind (outcome)     failure code
================================  =======================  ========================================
201 created, 200 replay           none (ACCEPTED)          (provider_reference = the transfer id)
422 ``invalid_destination``,      terminal_no_money_moved  the provider's code when it is one of
``validation_error``,             (REJECTED)               ours (``invalid_destination``,
``limit_exceeded``; 400                                    ``limit_exceeded``), else
``idempotency_key_missing``                                ``invalid_request``
401, 403                          retryable (UNKNOWN)      ``provider_auth_failed`` (our
                                                           credentials, not this payout, are wrong)
connection refused                retryable (UNKNOWN)      ``provider_unavailable``
timeout                           outcome_unknown          ``provider_timeout``
                                  (UNKNOWN)
anything else (409, 413, 5xx,     outcome_unknown          the provider's code when it is one of
``idempotency_key_reused``, ...)  (UNKNOWN)                ours, else ``provider_unavailable``
================================  =======================  ========================================

Only what the provider documents as "refused before anything was stored" is terminal: anything
else may hide a stored transfer. UNKNOWN means: ask :meth:`SandboxClient.transfer_by_key`, or
resubmit with the same key.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import re
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from django.conf import settings

from rails.failures import FAILURE_CODES
from rails.providers.base import (
    MAX_EVENTS_LIMIT,
    InvalidSignature,
    MalformedCallback,
    OutcomeUnknown,
    ProviderUnavailable,
    Quote,
    RailAdapter,
    RailConfig,
    RailError,
    Retryable,
    TerminalNoMoneyMoved,
)
from rails.providers.http import HttpAnswer, KeepAliveTransport
from rails.types import (
    Destination,
    ProviderEvent,
    ProviderTransfer,
    SubmitRequest,
    TransferStatus,
)

SIGNATURE_HEADER = "Sandbox-Signature"
# (status, code) answers the sandbox documents as "not executed: nothing was stored".
NOT_EXECUTED = frozenset(
    {
        (422, "invalid_destination"),
        (422, "validation_error"),
        (422, "limit_exceeded"),
        (400, "idempotency_key_missing"),
    }
)
AUTH_STATUSES = frozenset({401, 403})
# The sandbox charges nothing and carries both speeds; nominal arrival, in hours (the default
# routes use the same).
ARRIVAL_HOURS: Mapping[str, int] = {"standard": 24, "instant": 0}
# The destination fields the sandbox's API takes as the main identifier (sandbox/README.md).
IDENTIFIER_FIELDS = (
    "account_number",
    "iban",
    "clabe",
    "card_number",
    "phone",
    "phone_number",
    "pix_key",
    "key",
    "vpa",
    "email",
    "last4",
    "token",
)
MAX_TEXT = 140
_COUNTRY = re.compile(r"[A-Z]{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class _Malformed(ValueError):
    pass


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    # bool is an int in Python; a JSON true is not an amount.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise _Malformed(f"{name} must be {kind.__name__}")
    return value


def _transfer_parse(data: object) -> ProviderTransfer:
    """Parse a transfer snapshot; raises ``_Malformed``."""
    if not isinstance(data, dict):
        raise _Malformed("a transfer must be an object")
    try:
        status = TransferStatus(_field(data, "status", str))
    except ValueError:
        raise _Malformed(f"unknown status {data.get('status')!r}") from None
    failure_code = data.get("failure_code") or ""
    if not isinstance(failure_code, str):
        raise _Malformed("failure_code must be str")
    return ProviderTransfer(
        provider_reference=_field(data, "id", str),
        idempotency_key=_field(data, "idempotency_key", str),
        status=status,
        amount_minor=_field(data, "amount_minor", int),
        currency=_field(data, "currency", str),
        # A code outside our set would break whoever reads it; keep the raw code for support.
        failure_code=failure_code if not failure_code or failure_code in FAILURE_CODES else "other",
        raw_code=str(data.get("raw_code") or ""),
        failure_message=str(data.get("failure_message") or ""),
    )


def _event_parse(data: object) -> ProviderEvent:
    """Parse one feed or callback event; raises ``_Malformed``."""
    if not isinstance(data, dict):
        raise _Malformed("an event must be an object")
    return ProviderEvent(
        sequence=_field(data, "sequence", int),
        event_id=_field(data, "id", str),
        transfer=_transfer_parse(data.get("transfer")),
    )


def _error(response: HttpAnswer) -> tuple[str, str]:
    """The provider's ``(code, message)`` for an error answer, ("", text) when it has none."""
    try:
        error = response.json().get("error") or {}
        return str(error.get("code") or ""), str(error.get("message") or "")
    except (ValueError, AttributeError):
        return "", response.text[:200]


def _accepted_reference(response: HttpAnswer, idempotency_key: str) -> str:
    try:
        transfer = _transfer_parse(json.loads(response.content))
    except ValueError:
        raise OutcomeUnknown("malformed answer", failure_code="provider_unavailable") from None
    if transfer.idempotency_key != idempotency_key:
        raise OutcomeUnknown("an answer for another key", failure_code="provider_unavailable")
    return transfer.provider_reference


def _submit_error(response: HttpAnswer) -> RailError:
    """What a non-2xx answer to a submission says (see the module docstring)."""
    status = response.status_code
    code, message = _error(response)
    if status in AUTH_STATUSES:
        return Retryable(message, failure_code="provider_auth_failed", status_code=status)
    if (status, code) in NOT_EXECUTED:
        failure_code = code if code in FAILURE_CODES else "invalid_request"
        return TerminalNoMoneyMoved(message or code, failure_code=failure_code, status_code=status)
    return OutcomeUnknown(
        f"HTTP {status}: {code or message}"[:200],
        failure_code=code if code in FAILURE_CODES else "provider_unavailable",
        status_code=status,
    )


class SandboxClient(RailAdapter):
    """Our adapter for the sandbox provider, safe to share between threads.

    Each thread keeps its own keep-alive connection; every phase of every call (connect,
    send, each read) is bounded by ``config.timeout_s``.
    """

    def __init__(self, config: RailConfig) -> None:
        super().__init__(config)
        self._http = KeepAliveTransport(
            config.base_url, {"Authorization": f"Bearer {config.api_key}"}, config.timeout_s
        )

    @classmethod
    def settings_config(cls) -> RailConfig:
        return RailConfig(
            base_url=settings.SANDBOX_URL,
            api_key=settings.SANDBOX_API_KEY,
            timeout_s=settings.PROVIDER_TIMEOUT_S,
            webhook_secret=settings.SANDBOX_WEBHOOK_SECRET,
        )

    def close(self) -> None:
        self._http.close()

    def destination_validate(self, destination: Destination) -> None:
        """The shape the sandbox's API documents: a 2-letter country, a 3-letter currency, a
        holder name of 1 to 140 characters, and string details with an identifier field."""
        problem = ""
        details = destination.details
        if not _COUNTRY.fullmatch(destination.country):
            problem = "the country must be 2 upper-case letters"
        elif not _CURRENCY.fullmatch(destination.currency):
            problem = "the currency must be 3 upper-case letters"
        elif not 1 <= len(destination.holder_name) <= MAX_TEXT:
            problem = f"the holder name must be 1 to {MAX_TEXT} characters"
        elif not all(isinstance(v, str) for v in details.values()):
            problem = "every destination detail must be text"
        elif not any(details.get(name) for name in IDENTIFIER_FIELDS):
            problem = "the destination has no account identifier"
        if problem:
            raise TerminalNoMoneyMoved(problem, failure_code="invalid_destination")

    def quote(self, *, amount_minor: int, currency: str, speed: str) -> Quote:
        if speed not in ARRIVAL_HOURS:
            raise TerminalNoMoneyMoved(
                f"the sandbox carries no {speed!r} payouts", failure_code="invalid_request"
            )
        return Quote(fee_minor=0, speed=speed, arrival=dt.timedelta(hours=ARRIVAL_HOURS[speed]))

    def transfer_create(self, request: SubmitRequest) -> str:
        """Submit a transfer under ``request.idempotency_key``; see the module docstring for
        what each answer raises."""
        destination = request.destination
        payload = {
            "amount_minor": request.amount_minor,
            "currency": request.currency,
            "reference": request.reference,
            "destination": {
                "method_type": destination.method_type,
                "country": destination.country,
                "currency": destination.currency,
                "holder_name": destination.holder_name,
                "details": destination.details,
            },
        }
        try:
            response = self._http.request(
                "POST",
                "/v1/transfers",
                body=json.dumps(payload).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Idempotency-Key": request.idempotency_key,
                },
            )
        except TimeoutError as exc:
            raise OutcomeUnknown(str(exc) or "timeout", failure_code="provider_timeout") from exc
        except ConnectionRefusedError as exc:
            # Refused at connect: not a byte of the request left, so nothing can have moved.
            raise Retryable(
                f"{type(exc).__name__}: {exc}", failure_code="provider_unavailable"
            ) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise OutcomeUnknown(
                f"{type(exc).__name__}: {exc}", failure_code="provider_unavailable"
            ) from exc
        if response.status_code in {200, 201}:
            return _accepted_reference(response, request.idempotency_key)
        raise _submit_error(response)

    def transfer_by_key(self, idempotency_key: str) -> ProviderTransfer | None:
        """The transfer submitted under ``idempotency_key``, or None if the provider has none.

        None is only returned on the provider's explicit ``transfer_not_found``, so it is safe
        to resubmit with the same key then. Raises :class:`ProviderUnavailable` otherwise.
        """
        return self._transfer("/v1/transfers", {"idempotency_key": idempotency_key})

    def transfer_get(self, reference: str) -> ProviderTransfer | None:
        """The transfer with this provider reference, or None if the provider has none.

        Raises :class:`ProviderUnavailable` when the provider cannot answer.
        """
        return self._transfer(f"/v1/transfers/{quote(reference, safe='')}", {})

    def events_after(
        self, sequence: int, limit: int = MAX_EVENTS_LIMIT
    ) -> tuple[list[ProviderEvent], bool]:
        """Up to ``limit`` feed events after ``sequence`` (oldest first) and whether more wait.

        Raises ``ValueError`` for a limit outside 1..1000 and :class:`ProviderUnavailable` when
        the provider cannot answer.
        """
        if not 1 <= limit <= MAX_EVENTS_LIMIT:
            raise ValueError(f"limit must be in 1..{MAX_EVENTS_LIMIT}")
        data = self._get_json("/v1/events", {"after": sequence, "limit": limit})
        try:
            rows = data["data"]
            has_more = data["has_more"]
            if not isinstance(rows, list) or not isinstance(has_more, bool):
                raise _Malformed("data must be a list and has_more a boolean")
            return [_event_parse(row) for row in rows], has_more
        except (KeyError, TypeError, ValueError) as exc:
            raise ProviderUnavailable(f"malformed event feed: {exc}") from exc

    def callback_events(self, *, body: bytes, headers: Mapping[str, str]) -> list[ProviderEvent]:
        return verify_callback(
            body=body,
            signature_header=headers.get(SIGNATURE_HEADER, ""),
            secret=self.config.webhook_secret,
        )

    def _transfer(self, path: str, params: dict[str, Any]) -> ProviderTransfer | None:
        try:
            data = self._get_json(path, params)
        except ProviderUnavailable as exc:
            if exc.status_code == 404 and str(exc) == "transfer_not_found":
                return None
            raise
        try:
            return _transfer_parse(data)
        except ValueError as exc:
            raise ProviderUnavailable(f"malformed transfer: {exc}") from exc

    def _get_json(self, path: str, params: dict[str, Any]) -> Any:
        query = f"?{urlencode(params)}" if params else ""
        try:
            response = self._http.request("GET", path + query)
        except (OSError, http.client.HTTPException) as exc:
            raise ProviderUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            code, message = _error(response)
            raise ProviderUnavailable(code or message, status_code=response.status_code)
        try:
            return response.json()
        except ValueError as exc:
            raise ProviderUnavailable("the answer is not JSON", status_code=200) from exc


# Unix seconds have 10 digits until 2286. The header is anybody's to send: a longer timestamp is
# refused before int(), which would take time quadratic in its length (and refuse past 4300).
MAX_TIMESTAMP_DIGITS = 12


def _signature_parse(header: str) -> tuple[str, list[str]]:
    timestamp, signatures = "", []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1":
            signatures.append(value)
    is_seconds = timestamp.isascii() and timestamp.isdigit()
    if not is_seconds or len(timestamp) > MAX_TIMESTAMP_DIGITS or not signatures:
        raise InvalidSignature("the signature header needs t=<unix seconds> and v1=<hex>")
    return timestamp, signatures


def verify_callback(
    *,
    body: bytes,
    signature_header: str,
    secret: str,
    tolerance_s: int = 300,
    now: float | None = None,
) -> list[ProviderEvent]:
    """Authenticate a callback batch and return its events in the order sent.

    Checks, in this order, that the ``Sandbox-Signature`` header is well formed, that its
    timestamp is within ``tolerance_s`` of ``now`` (so a captured request cannot be replayed
    later), and that one of its ``v1`` HMAC-SHA256 values over ``"<t>.<raw body>"`` matches
    (compared in constant time). Raises :class:`InvalidSignature` when any check fails, then
    :class:`MalformedCallback` when the authentic body is not ``{"events": [...]}``, and
    ``ValueError`` for an empty ``secret`` (which would let anybody sign).
    """
    if not secret:
        raise ValueError("a webhook secret is required")
    timestamp, signatures = _signature_parse(signature_header)
    moment = time.time() if now is None else now
    if abs(moment - int(timestamp)) > tolerance_s:
        raise InvalidSignature("the signature timestamp is outside the tolerance")
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    # Bytes, because compare_digest refuses non-ASCII str, and the header is attacker-controlled.
    if not any(
        hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in signatures
    ):
        raise InvalidSignature("the signature does not match the body")
    try:
        payload = json.loads(body)
        rows = payload["events"]
        if not isinstance(rows, list):
            raise _Malformed("events must be a list")
        return [_event_parse(row) for row in rows]
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedCallback(f"malformed callback body: {exc}") from exc
