"""The sandbox provider's HTTP API: routing and handlers (served by sandbox.protocol).

Every answer is JSON. Errors are ``{"error": {"code", "message", "field"}}`` with a stable code.
Every endpoint except ``GET /healthz`` needs ``Authorization: Bearer <api key>``.

Provider API:
    POST /v1/transfers                      create (201) or replay (200) by Idempotency-Key
    GET  /v1/transfers/{id}                 one transfer (404 ``transfer_not_found``)
    GET  /v1/transfers?idempotency_key=K    the transfer created with key K (same 404)
    GET  /v1/events?after=N&limit=L         {"data": [...], "has_more": bool}, L <= 1000
Control API for tests:
    GET|POST /_sandbox/faults               read / change injected faults
    GET  /_sandbox/stats[?by_key=false]     counters; GET /_sandbox/stats/{key} for one key
    POST /_sandbox/reset                    forget everything under this sandbox's prefix
    POST /_sandbox/settle [{"returns": b}]  apply every pending settlement (and return) now
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import redis

from sandbox.callbacks import CallbackSender
from sandbox.config import SandboxConfig
from sandbox.magic import plan_for
from sandbox.protocol import Request
from sandbox.scheduler import BackgroundLoop, settlement_step
from sandbox.store import FAULT_COUNTERS, FAULT_SWITCHES, Store, json_bytes
from sandbox.validation import RequestInvalid, idempotency_key_parse, transfer_input_parse

logger = logging.getLogger(__name__)

MAX_EVENTS_LIMIT = 1000
SETTLE_NOW_BATCH = 1000

Response = tuple[int, bytes]
Route = Callable[[Request], Awaitable[Response]]


def error_body(code: str, message: str, field: str = "") -> bytes:
    return json_bytes({"error": {"code": code, "message": message, "field": field}})


def _json_object(raw: bytes) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise RequestInvalid(422, "validation_error", "the body must be JSON") from None
    if not isinstance(value, dict):
        raise RequestInvalid(422, "validation_error", "the body must be a JSON object")
    return value


def _int_query(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name, [str(default)])[0]
    try:
        value = int(raw)
    except ValueError:
        raise RequestInvalid(422, "validation_error", f"{name} must be an integer", name) from None
    if not low <= value <= high:
        raise RequestInvalid(422, "validation_error", f"{name} must be in [{low}, {high}]", name)
    return value


class SandboxApp:
    """The request handler of one server process, with that process's background loops."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.store = Store(redis_url=config.redis_url, prefix=config.prefix)
        self._authorization = f"Bearer {config.api_key}".encode()
        self._loops: list[BackgroundLoop] = []
        self._sender: CallbackSender | None = None
        self._routes: dict[str, Route] = {
            "POST /v1/transfers": self._transfer_submit,
            "GET /v1/transfers": self._transfer_by_key,
            "GET /v1/events": self._events,
            "GET /_sandbox/faults": self._faults_get,
            "POST /_sandbox/faults": self._faults_set,
            "GET /_sandbox/stats": self._stats,
            "POST /_sandbox/reset": self._reset,
            "POST /_sandbox/settle": self._settle,
        }

    # --- background work (one set per server process) ------------------------------------------

    def start_background(self, on_crash: Callable[[], None]) -> None:
        """Start the settlement loop and, with a callback URL, the delivery loop.

        ``on_crash`` is called if a loop dies of a bug, so the process can exit and be replaced.
        """
        with_callbacks = bool(self.config.callback_url)
        step = settlement_step(self.store, with_callbacks=with_callbacks)
        self._loops.append(BackgroundLoop("sandbox-settlement", step))
        if with_callbacks:
            self._sender = CallbackSender(
                self.store,
                url=self.config.callback_url,
                secret=self.config.webhook_secret,
                timeout_s=self.config.callback_timeout_s,
            )
            self._loops.append(BackgroundLoop("sandbox-callbacks", self._sender.step))
        for loop in self._loops:
            loop.start(on_crash)

    async def close(self) -> None:
        """Stop the background loops and release connections."""
        for loop in self._loops:
            await loop.stop()
        if self._sender is not None:
            await self._sender.close()
        await self.store.close()

    # --- dispatch ------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        """Answer one request; never raises for bad input or an unreachable Redis."""
        try:
            return await self._dispatch(request)
        except RequestInvalid as exc:
            return exc.status, error_body(exc.code, exc.message, exc.field)
        except redis.RedisError:
            logger.exception("the sandbox store is unavailable")
            return 503, error_body("provider_unavailable", "the store is unavailable")

    async def _dispatch(self, request: Request) -> Response:
        path = request.path
        if path == "/healthz":
            await self.store.redis.ping()
            return 200, b'{"status":"ok"}'
        given = request.headers.get("authorization", "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, self._authorization):
            raise RequestInvalid(401, "unauthorized", "a valid Bearer API key is required")
        route = self._routes.get(f"{request.method} {path}")
        if route is not None:
            return await route(request)
        if request.method == "GET" and path.startswith("/v1/transfers/"):
            return self._found(await self.store.transfer_json(path.removeprefix("/v1/transfers/")))
        if request.method == "GET" and path.startswith("/_sandbox/stats/"):
            key = path.removeprefix("/_sandbox/stats/")
            return 200, json_bytes(await self.store.stats_for_key(key))
        if any(route.endswith(f" {path}") for route in self._routes):
            raise RequestInvalid(405, "method_not_allowed", f"{request.method} is not allowed")
        raise RequestInvalid(404, "not_found", f"no route for {path}")

    # --- provider API --------------------------------------------------------------------------

    async def _transfer_submit(self, request: Request) -> Response:
        key = idempotency_key_parse(request.headers.get("idempotency-key"))
        try:
            transfer = transfer_input_parse(
                request.body, max_amount_minor=self.config.max_amount_minor
            )
        except RequestInvalid:
            await self.store.submit_count(key)
            raise
        plan = plan_for(transfer.details)
        result = await self.store.submit(
            idempotency_key=key,
            fingerprint=transfer.fingerprint,
            amount_minor=transfer.amount_minor,
            currency=transfer.currency,
            reference=transfer.reference,
            plan=plan,
            settle_after_ms=self.config.settle_after_ms,
            return_after_ms=self.config.return_after_ms,
        )
        if result.must_hang:
            # The transfer is already stored: the client times out not knowing that, as it
            # would when a real provider's response is lost.
            await asyncio.sleep(self.config.timeout_hang_s)
        if result.verdict == "created":
            return 201, result.transfer_json
        if result.verdict == "replay":
            return 200, result.transfer_json
        if result.verdict == "conflict":
            # Stored and executing, but answered as a real provider answers a request it is
            # still working on: the client cannot tell whether anything happened.
            raise RequestInvalid(
                409, "request_in_progress", "a request with this Idempotency-Key is in progress"
            )
        if result.verdict == "reject":
            raise RequestInvalid(422, plan.reject_code, plan.message, "destination.details")
        if result.verdict == "reused":
            raise RequestInvalid(
                422, "idempotency_key_reused", "this Idempotency-Key was used with another body"
            )
        return 500, error_body("internal_error", "the provider failed; nothing was stored")

    async def _transfer_by_key(self, request: Request) -> Response:
        keys = request.query.get("idempotency_key")
        if not keys:
            raise RequestInvalid(
                422, "validation_error", "idempotency_key is required", "idempotency_key"
            )
        return self._found(await self.store.transfer_json_by_key(keys[0]))

    @staticmethod
    def _found(transfer_json: bytes | None) -> Response:
        if transfer_json is None:
            raise RequestInvalid(404, "transfer_not_found", "no such transfer")
        return 200, transfer_json

    async def _events(self, request: Request) -> Response:
        after = _int_query(request, "after", 0, 0, 2**62)
        limit = _int_query(request, "limit", 100, 1, MAX_EVENTS_LIMIT)
        events, has_more = await self.store.events_after(after, limit)
        more = b"true" if has_more else b"false"
        return 200, b'{"data":[' + b",".join(events) + b'],"has_more":' + more + b"}"

    # --- control API ---------------------------------------------------------------------------

    async def _faults_get(self, request: Request) -> Response:
        return 200, json_bytes(await self.store.faults_get())

    async def _faults_set(self, request: Request) -> Response:
        changes: dict[str, int | None] = {}
        for name, value in _json_object(request.body).items():
            if name in FAULT_SWITCHES and isinstance(value, bool):
                changes[name] = int(value)
            elif (
                name in (*FAULT_COUNTERS, "settle_after_ms")
                and isinstance(value, int)
                and not isinstance(value, bool)
                and value >= 0
            ):
                changes[name] = value
            elif name == "settle_after_ms" and value is None:
                changes[name] = None
            else:
                raise RequestInvalid(422, "validation_error", f"bad fault {name}={value!r}", name)
        await self.store.faults_set(changes)
        return 200, json_bytes(await self.store.faults_get())

    async def _stats(self, request: Request) -> Response:
        by_key = request.query.get("by_key", ["true"])[0].lower() not in {"0", "false", "no"}
        return 200, json_bytes(await self.store.stats(with_keys=by_key))

    async def _reset(self, request: Request) -> Response:
        return 200, json_bytes({"deleted_keys": await self.store.reset()})

    async def _settle(self, request: Request) -> Response:
        with_returns = _json_object(request.body).get("returns", True)
        if not isinstance(with_returns, bool):
            raise RequestInvalid(422, "validation_error", "returns must be a boolean", "returns")
        moved = 0
        while True:
            claimed, step_moved = await self.store.run_due(
                limit=SETTLE_NOW_BATCH,
                upto_ms=-1,
                with_returns=with_returns,
                with_callbacks=bool(self.config.callback_url),
            )
            moved += step_moved
            if claimed == 0:
                return 200, json_bytes({"moved": moved})
