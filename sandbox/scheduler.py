"""Background loops that run in every server process: settlement, and (callbacks.py) delivery.

Each process runs its own loops against the shared store. That is safe because every claim is
an atomic Lua script, and it means settlement keeps going while any one process lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

import redis

from sandbox.store import Store

logger = logging.getLogger(__name__)

SETTLE_BATCH = 500
IDLE_WAIT_S = 0.05  # bounds how late a due action runs (tests use latencies of ~300 ms)
ERROR_WAIT_S = 1.0

Step = Callable[[], Awaitable[bool]]


class BackgroundLoop:
    """Run ``step`` as an asyncio task until stopped.

    ``step`` returns True when more work is waiting (run it again at once) and False when idle
    (wait ``idle_s``). A Redis outage is logged and waited out. Any other exception is a bug:
    it is logged with its traceback and ``on_crash`` is called, so the process can be replaced
    rather than go on serving without settling.
    """

    def __init__(self, name: str, step: Step, *, idle_s: float = IDLE_WAIT_S) -> None:
        self.name = name
        self._step = step
        self._idle_s = idle_s
        self._task: asyncio.Task[None] | None = None

    def start(self, on_crash: Callable[[], None]) -> None:
        def crashed(task: asyncio.Task[None]) -> None:
            if not task.cancelled() and task.exception() is not None:
                logger.error("%s crashed", self.name, exc_info=task.exception())
                on_crash()

        self._task = asyncio.create_task(self._run(), name=self.name)
        self._task.add_done_callback(crashed)

    async def stop(self) -> None:
        """Cancel the loop (a step in flight is abandoned; its claims expire and are retried)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                is_busy = await self._step()
            except redis.RedisError:
                logger.warning("%s: Redis unavailable, retrying", self.name, exc_info=True)
                await asyncio.sleep(ERROR_WAIT_S)
                continue
            if not is_busy:
                await asyncio.sleep(self._idle_s)


def settlement_step(store: Store, *, with_callbacks: bool) -> Step:
    """Return a loop step that applies due settlements and returns, a batch at a time."""

    async def step() -> bool:
        claimed, _ = await store.run_due(limit=SETTLE_BATCH, with_callbacks=with_callbacks)
        return claimed >= SETTLE_BATCH

    return step
