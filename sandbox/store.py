"""The sandbox's state in Redis: transfers, idempotency, schedule, event feed, callbacks, faults.

Every key lives under the store's prefix, so several sandboxes can share one Redis (tests run
many). Every state change is one Lua script (sandbox.scripts), so any number of server
processes can serve and schedule against the same store. The store is asynchronous (asyncio,
redis-py's ``redis.asyncio``): one server process serves many connections on one event loop.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aredis

from sandbox import scripts
from sandbox.magic import Plan

REDIS_TIMEOUT_S = 5.0
# Per process. Each in-flight command holds a connection; past this a request answers 503.
# (The blocking pool, which queues instead, cost ~10% more CPU per submission.)
REDIS_MAX_CONNECTIONS = 512
FAULT_COUNTERS = ("submit_timeouts", "submit_errors")
FAULT_SWITCHES = ("duplicate_callbacks", "callbacks_paused", "callbacks_reversed")
SCAN_BATCH = 1000


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class SubmitResult:
    verdict: str  # created | replay | conflict | error | reject | reused
    must_hang: bool
    transfer_json: bytes  # the transfer's public JSON for created / replay, else b""


@dataclass(frozen=True)
class CallbackItem:
    member: str  # "<sequence>" or "<sequence>:dup"
    sequence: int
    event_json: bytes


class Store:
    """Redis-backed state of one sandbox, for use on one event loop.

    Methods raise ``redis.RedisError`` when Redis is unreachable; callers answer 503.
    """

    def __init__(self, *, redis_url: str, prefix: str) -> None:
        self.prefix = prefix
        self._p = f"{prefix}:"
        self.redis = aredis.Redis.from_url(
            redis_url,
            max_connections=REDIS_MAX_CONNECTIONS,
            socket_timeout=REDIS_TIMEOUT_S,
            socket_connect_timeout=REDIS_TIMEOUT_S,
        )
        self._submit = self.redis.register_script(scripts.SUBMIT)
        self._run_due = self.redis.register_script(scripts.RUN_DUE)
        self._claim_callbacks = self.redis.register_script(scripts.CLAIM_CALLBACKS)
        self._fail_callbacks = self.redis.register_script(scripts.FAIL_CALLBACKS)
        self._read_transfer = self.redis.register_script(scripts.READ_TRANSFER)

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)

    # --- submissions ---------------------------------------------------------------------------

    async def submit(
        self,
        *,
        idempotency_key: str,
        fingerprint: str,
        amount_minor: int,
        currency: str,
        reference: str,
        plan: Plan,
        settle_after_ms: int,
        return_after_ms: int,
    ) -> SubmitResult:
        """Create the transfer for ``idempotency_key``, or replay the one it already names.

        Atomic: concurrent submits with one key create exactly one transfer and count one
        acceptance. Counts every call in ``submits_by_key``.
        """
        reply = await self._submit(
            args=[
                self._p,
                idempotency_key,
                fingerprint,
                "tr_" + secrets.token_hex(12),
                now_ms(),
                amount_minor,
                currency,
                reference,
                plan.outcome,
                plan.failure_code,
                plan.raw_code,
                plan.message,
                settle_after_ms,
                plan.settle_factor,
                return_after_ms,
                plan.flags,
            ]
        )
        verdict = reply[0].decode()
        must_hang = verdict.startswith("hang_")
        return SubmitResult(
            verdict.removeprefix("hang_"), must_hang, reply[1] if len(reply) > 1 else b""
        )

    async def submit_count(self, idempotency_key: str) -> None:
        """Count a submit call that was refused before reaching :meth:`submit`."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.hincrby(self._p + "submits_by_key", idempotency_key, 1)
        pipe.incr(self._p + "submits_total")
        await pipe.execute()

    # --- reads ---------------------------------------------------------------------------------

    async def transfer_json(self, transfer_id: str) -> bytes | None:
        """Return the transfer's public JSON, or None if there is no such transfer."""
        value = await self._read_transfer(args=[self._p, "id", transfer_id])
        return None if value is None else _raw(value)

    async def transfer_json_by_key(self, idempotency_key: str) -> bytes | None:
        """Return the JSON of the transfer created with ``idempotency_key``, or None."""
        value = await self._read_transfer(args=[self._p, "key", idempotency_key])
        return None if value is None else _raw(value)

    async def events_after(self, sequence: int, limit: int) -> tuple[list[bytes], bool]:
        """Return up to ``limit`` events with a sequence above ``sequence``, oldest first."""
        rows = [
            _raw(row)
            for row in await self.redis.zrangebyscore(
                self._p + "events", f"({sequence}", "+inf", start=0, num=limit + 1
            )
        ]
        return rows[:limit], len(rows) > limit

    # --- scheduler -----------------------------------------------------------------------------

    async def run_due(
        self,
        *,
        limit: int,
        with_callbacks: bool,
        upto_ms: int | None = None,
        with_returns: bool = True,
    ) -> tuple[int, int]:
        """Apply up to ``limit`` actions due by ``upto_ms`` (None: now; -1: everything pending).

        Returns (claimed, moved): a claimed action whose transfer was reset is not moved.
        """
        moment = now_ms()
        upto = "+inf" if upto_ms == -1 else str(moment if upto_ms is None else upto_ms)
        reply = await self._run_due(
            args=[
                self._p,
                moment,
                upto,
                limit,
                "1" if with_returns else "0",
                "1" if with_callbacks else "0",
            ]
        )
        return int(reply[0]), int(reply[1])

    # --- callbacks -----------------------------------------------------------------------------

    async def callbacks_claim(self, *, limit: int, lease_ms: int) -> list[CallbackItem]:
        """Claim up to ``limit`` due callback deliveries for ``lease_ms``; ordered by sequence."""
        reply = await self._claim_callbacks(args=[self._p, now_ms(), limit, lease_ms])
        items = [
            CallbackItem(member.decode(), int(member.split(b":", 1)[0]), event)
            for member, event in zip(reply[::2], reply[1::2], strict=True)
        ]
        return sorted(items, key=lambda item: (item.sequence, item.member))

    async def callbacks_ack(self, members: list[str]) -> None:
        """Forget deliveries the receiver acknowledged."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.zrem(self._p + "cb:due", *members)
        pipe.hdel(self._p + "cb:attempts", *members)
        pipe.hdel(self._p + "cb:first", *members)
        await pipe.execute()

    async def callbacks_fail(
        self, members: list[str], *, base_ms: int, cap_ms: int, max_age_ms: int
    ) -> list[str]:
        """Reschedule failed deliveries with backoff; return those older than ``max_age_ms``."""
        reply = await self._fail_callbacks(
            args=[self._p, now_ms(), base_ms, cap_ms, max_age_ms, *members]
        )
        return [member.decode() for member in reply]

    # --- faults, stats, reset ------------------------------------------------------------------

    async def faults_get(self) -> dict[str, Any]:
        raw = {
            _raw(k).decode(): _raw(v).decode()
            for k, v in (await self.redis.hgetall(self._p + "faults")).items()
        }
        faults: dict[str, Any] = {name: int(raw.get(name, "0")) for name in FAULT_COUNTERS}
        faults.update({name: raw.get(name) == "1" for name in FAULT_SWITCHES})
        settle_after_ms = raw.get("settle_after_ms")
        faults["settle_after_ms"] = None if settle_after_ms is None else int(settle_after_ms)
        return faults

    async def faults_set(self, changes: dict[str, Any]) -> None:
        """Apply validated fault ``changes``; a ``settle_after_ms`` of None clears it."""
        key = self._p + "faults"
        pipe = self.redis.pipeline(transaction=True)
        for name, value in changes.items():
            if value is None:
                pipe.hdel(key, name)
            else:
                pipe.hset(key, name, int(value))
        await pipe.execute()

    async def stats(self, *, with_keys: bool) -> dict[str, Any]:
        pipe = self.redis.pipeline(transaction=False)
        for name in ("accepted_total", "submits_total", "seq"):
            pipe.get(self._p + name)
        for name in ("due:settle", "due:return", "cb:due"):
            pipe.zcard(self._p + name)
        if with_keys:
            pipe.hgetall(self._p + "accepted_by_key")
        replies = await pipe.execute()
        stats: dict[str, Any] = {
            "accepted_total": int(replies[0] or 0),
            "submits_total": int(replies[1] or 0),
            "events_total": int(replies[2] or 0),
            "pending_settlements": replies[3],
            "pending_returns": replies[4],
            "pending_callbacks": replies[5],
        }
        if with_keys:
            stats["accepted_by_key"] = {k.decode(): int(v) for k, v in replies[6].items()}
        return stats

    async def stats_for_key(self, idempotency_key: str) -> dict[str, Any]:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(self._p + "accepted_by_key", idempotency_key)
        pipe.hget(self._p + "submits_by_key", idempotency_key)
        accepted, submits = await pipe.execute()
        return {
            "idempotency_key": idempotency_key,
            "accepted": int(accepted or 0),
            "submits": int(submits or 0),
        }

    async def reset(self) -> int:
        """Delete every key under the prefix; returns how many. Not atomic with traffic."""
        deleted = 0
        batch: list[bytes] = []
        async for key in self.redis.scan_iter(match=f"{self.prefix}:*", count=SCAN_BATCH):
            batch.append(key)
            if len(batch) >= SCAN_BATCH:
                deleted += int(await self.redis.unlink(*batch))
                batch.clear()
        if batch:
            deleted += int(await self.redis.unlink(*batch))
        return deleted


def delete_prefix(client: redis.Redis, prefix: str) -> int:
    """Delete every key named ``<prefix>:*`` with a synchronous client (for test clean-up).

    SCAN, so Redis is never blocked for long.
    """
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{prefix}:*", count=SCAN_BATCH):
        batch.append(key)
        if len(batch) >= SCAN_BATCH:
            deleted += int(client.unlink(*batch))
            batch.clear()
    if batch:
        deleted += int(client.unlink(*batch))
    return deleted


def _raw(value: object) -> bytes:
    # The client is created without decode_responses, so Redis answers bytes.
    assert isinstance(value, bytes), type(value)
    return value


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()
