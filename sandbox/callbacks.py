"""Signed callback delivery: event batches POSTed to the platform, retried until acknowledged.

Like Adyen's notification batches, one POST carries whatever events are due (at most
``BATCH_SIZE``) as ``{"events": [...]}``. The ``Sandbox-Signature`` header is
``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed by the webhook secret>``,
computed afresh for every attempt so a late retry is not refused as stale.

A 2xx answer acknowledges the whole batch. Anything else, or no answer, reschedules every event
in it with exponential backoff (1 s, 2 s, 4 s ... capped at 60 s) for up to an hour; an event
given up on is logged as an error, never dropped silently. Deliveries are queued in Redis, so
a slow receiver never slows submissions down.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time

import httpx

from sandbox.store import Store

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
LEASE_MS = 30_000  # longer than a delivery attempt can take, so a live sender keeps its claim
RETRY_BASE_MS = 1_000
RETRY_CAP_MS = 60_000
RETRY_MAX_AGE_MS = 3_600_000
SIGNATURE_HEADER = "Sandbox-Signature"


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    """Return the ``Sandbox-Signature`` value for ``body`` sent at ``timestamp``."""
    signed = str(timestamp).encode() + b"." + body
    mac = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


class CallbackSender:
    """Deliver due callbacks for one sandbox; ``step`` is run by a BackgroundLoop."""

    def __init__(self, store: Store, *, url: str, secret: str, timeout_s: float) -> None:
        self._store = store
        self._url = url
        self._secret = secret
        # One keep-alive connection per sender; every phase of the call is bounded.
        self._client = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s), follow_redirects=False)

    async def close(self) -> None:
        await self._client.aclose()

    async def step(self) -> bool:
        """Deliver one batch; True when a batch was attempted (more may be due)."""
        faults = await self._store.faults_get()
        if faults["callbacks_paused"]:
            return False
        items = await self._store.callbacks_claim(limit=BATCH_SIZE, lease_ms=LEASE_MS)
        if not items:
            return False
        if faults["callbacks_reversed"]:
            items.reverse()
        body = b'{"events":[' + b",".join(item.event_json for item in items) + b"]}"
        members = [item.member for item in items]
        if await self._post(body):
            await self._store.callbacks_ack(members)
            return True
        dropped = await self._store.callbacks_fail(
            members, base_ms=RETRY_BASE_MS, cap_ms=RETRY_CAP_MS, max_age_ms=RETRY_MAX_AGE_MS
        )
        if dropped:
            logger.error("callbacks given up after an hour of failures: %s", ", ".join(dropped))
        return True

    async def _post(self, body: bytes) -> bool:
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(
                secret=self._secret, body=body, timestamp=int(time.time())
            ),
        }
        try:
            response = await self._client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            logger.info("callback to %s failed: %s", self._url, exc)
            return False
        if not response.is_success:
            logger.info("callback to %s answered %s", self._url, response.status_code)
        return response.is_success
