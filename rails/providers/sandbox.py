"""Our adapter for the sandbox provider: the platform side of the wire.

:class:`SandboxClient` submits transfers and reads their status and the provider's event feed;
:func:`verify_callback` authenticates and parses the provider's signed callback batches. The
provider's API is described in ``sandbox/README.md``.

How an HTTP answer to a submission becomes an outcome (the payouts app relies on this):

==================================  ========  ========================================
answer                              outcome   failure code
==================================  ========  ========================================
201 created, 200 replay             ACCEPTED  (provider_reference = the transfer id)
400, 409, 413, 422                  REJECTED  the provider's code when it is one of
                                              ours (``invalid_destination``,
                                              ``limit_exceeded``...), else
                                              ``invalid_request``
422 ``idempotency_key_reused``      UNKNOWN   ``idempotency_key_reused``: a transfer
                                              exists under the key, so it may not be
                                              called "no money moved"; ask by key
401, 403                            UNKNOWN   ``provider_auth_failed`` (our
                                              credentials, not this payout, are wrong)
timeout                             UNKNOWN   ``provider_timeout``
connection error, 5xx, other 4xx,   UNKNOWN   ``provider_unavailable``
malformed 2xx
==================================  ========  ========================================

UNKNOWN means: ask :meth:`SandboxClient.transfer_by_key`, or resubmit with the same key.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from rails.failures import FAILURE_CODES
from rails.types import (
    OutcomeKind,
    ProviderEvent,
    ProviderTransfer,
    SubmitOutcome,
    SubmitRequest,
    TransferStatus,
)

SIGNATURE_HEADER = "Sandbox-Signature"
MAX_EVENTS_LIMIT = 1000
TERMINAL_STATUSES = frozenset({400, 409, 413, 422})
AUTH_STATUSES = frozenset({401, 403})


class ProviderUnavailable(Exception):
    """The provider could not answer a question (unreachable, timed out, 5xx, malformed)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class CallbackRejected(Exception):
    """A callback request that must not be acted on; answer it with a 4xx."""


class InvalidSignature(CallbackRejected):
    """The signature header is missing, malformed, stale, or does not match the body."""


class MalformedCallback(CallbackRejected):
    """The signature is valid but the body is not a batch of events we understand."""


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


def _error(response: _Answer) -> tuple[str, str]:
    """The provider's ``(code, message)`` for an error answer, ("", text) when it has none."""
    try:
        error = response.json().get("error") or {}
        return str(error.get("code") or ""), str(error.get("message") or "")
    except (ValueError, AttributeError):
        return "", response.text[:200]


def _accepted_outcome(response: _Answer, idempotency_key: str) -> SubmitOutcome:
    try:
        transfer = _transfer_parse(json.loads(response.content))
    except ValueError:
        return SubmitOutcome(OutcomeKind.UNKNOWN, "", "provider_unavailable", "malformed answer")
    if transfer.idempotency_key != idempotency_key:
        return SubmitOutcome(
            OutcomeKind.UNKNOWN, "", "provider_unavailable", "an answer for another key"
        )
    return SubmitOutcome(OutcomeKind.ACCEPTED, transfer.provider_reference)


@dataclass(frozen=True)
class _Answer:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Transport:
    """Keep-alive HTTP/1.1 connections to one provider, one per thread (``http.client``, which
    costs a fifth of a general-purpose client's CPU per call: a worker makes thousands). Every
    call is bounded by ``timeout_s``: connecting, sending and each read."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout_s: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._is_https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = headers
        self._timeout_s = timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._is_https else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self._timeout_s)
            self._local.connection = connection
            with self._lock:
                self._open.append(connection)
        return connection

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> _Answer:
        """One call. Raises ``TimeoutError`` past the timeout, ``OSError`` or
        ``http.client.HTTPException`` when the provider cannot be reached or answers garbage."""
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(
                    method,
                    self._prefix + path,
                    body=body,
                    headers={**self._headers, **(headers or {})},
                )
                response = connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The provider closed a kept-alive connection between two calls: once more on a
                # fresh one. Safe even for a submission: it carries its idempotency key.
                self._drop(connection)
                if attempt == 2:
                    raise
                continue
            except BaseException:
                self._drop(connection)
                raise
            if response.will_close:
                self._drop(connection)
            return _Answer(response.status, content)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()


class SandboxClient:
    """A client of the sandbox provider's API, safe to share between threads.

    Each thread keeps its own keep-alive connection; every phase of every call (connect,
    send, each read) is bounded by ``timeout_s``.
    """

    def __init__(self, base_url: str, api_key: str, timeout_s: float) -> None:
        self._http = _Transport(base_url, {"Authorization": f"Bearer {api_key}"}, timeout_s)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def submit(self, request: SubmitRequest) -> SubmitOutcome:
        """Submit a transfer under ``request.idempotency_key``; never raises for an outcome.

        The same key always names the same transfer at the provider, so resubmitting after an
        UNKNOWN outcome cannot pay twice. See the module docstring for the outcome table.
        """
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
            return SubmitOutcome(OutcomeKind.UNKNOWN, "", "provider_timeout", str(exc) or "timeout")
        except (OSError, http.client.HTTPException) as exc:
            message = f"{type(exc).__name__}: {exc}"
            return SubmitOutcome(OutcomeKind.UNKNOWN, "", "provider_unavailable", message)
        return self._submit_outcome(response, request.idempotency_key)

    @staticmethod
    def _submit_outcome(response: _Answer, idempotency_key: str) -> SubmitOutcome:
        status = response.status_code
        if status in {200, 201}:
            return _accepted_outcome(response, idempotency_key)
        code, message = _error(response)
        if code == "idempotency_key_reused":
            return SubmitOutcome(OutcomeKind.UNKNOWN, "", code, message)
        if status in AUTH_STATUSES:
            return SubmitOutcome(OutcomeKind.UNKNOWN, "", "provider_auth_failed", message)
        if status in TERMINAL_STATUSES:
            failure_code = code if code in FAILURE_CODES else "invalid_request"
            return SubmitOutcome(OutcomeKind.REJECTED, "", failure_code, message or code)
        return SubmitOutcome(
            OutcomeKind.UNKNOWN, "", "provider_unavailable", f"HTTP {status}: {message}"
        )

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


def _signature_parse(header: str) -> tuple[str, list[str]]:
    timestamp, signatures = "", []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            timestamp = value
        elif name == "v1":
            signatures.append(value)
    if not timestamp.isdigit() or not timestamp.isascii() or not signatures:
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
