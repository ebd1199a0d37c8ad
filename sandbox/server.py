"""Run the sandbox: a supervisor process and N forked worker processes sharing one socket.

Each worker is one asyncio event loop (sandbox.protocol) with its own Redis pool and its
own settlement and callback loops; the kernel spreads accepted connections across them. The
supervisor only forks, replaces a worker that dies, and on SIGTERM/SIGINT stops them all. A
worker whose supervisor disappears (killed with SIGKILL) notices within a second and exits.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import time
from types import FrameType

from sandbox.app import SandboxApp
from sandbox.config import SandboxConfig, ServerOptions
from sandbox.protocol import MAX_HEAD_BYTES, serve_connection

logger = logging.getLogger(__name__)

LISTEN_BACKLOG = 2048
PARENT_CHECK_S = 1.0
RESPAWN_DELAY_S = 1.0
STOP_TIMEOUT_S = 5.0
REAP_INTERVAL_S = 0.1


async def _worker_main(sock: socket.socket, config: SandboxConfig) -> int:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    crashed = False

    def on_crash() -> None:
        nonlocal crashed
        crashed = True
        stopping.set()

    app = SandboxApp(config)
    server = await asyncio.start_server(
        functools.partial(serve_connection, app.handle), sock=sock, limit=MAX_HEAD_BYTES
    )
    app.start_background(on_crash)
    supervisor = os.getppid()
    try:
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), PARENT_CHECK_S)
            if os.getppid() != supervisor:
                logger.warning("the supervisor is gone; worker %d exits", os.getpid())
                break
    finally:
        # Connections still open (a hanging response among them) are cancelled with the loop.
        server.close()
        await app.close()
    return 1 if crashed else 0


def _spawn(sock: socket.socket, config: SandboxConfig) -> int:
    pid = os.fork()
    if pid:
        return pid
    # In the worker: the supervisor's handlers must not run here; asyncio installs its own.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    code = 1
    try:
        code = asyncio.run(_worker_main(sock, config))
    except Exception:
        logger.exception("sandbox worker %d failed", os.getpid())
    finally:
        # Never return into the supervisor's code, nor run its exit handlers, from a worker.
        os._exit(code)
    return 0  # unreachable


def _reap(workers: set[int]) -> list[tuple[int, int]]:
    """Collect exited workers without blocking: [(pid, wait status)]."""
    exited = []
    for pid in list(workers):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            workers.discard(pid)
            exited.append((pid, status))
    return exited


def serve(config: SandboxConfig, options: ServerOptions) -> None:
    """Serve until SIGTERM/SIGINT; raises ``OSError`` if the address cannot be bound."""
    sock = socket.create_server((options.host, options.port), backlog=LISTEN_BACKLOG)
    stop_requested = False

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stop_requested
        stop_requested = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    logger.info(
        "sandbox provider on http://%s:%s (prefix %r, %d workers)",
        options.host,
        options.port,
        config.prefix,
        options.workers,
    )
    workers = {_spawn(sock, config) for _ in range(options.workers)}
    while not stop_requested:
        for pid, status in _reap(workers):
            logger.error("sandbox worker %d exited (status %d); replacing it", pid, status)
            time.sleep(RESPAWN_DELAY_S)
            if not stop_requested:
                workers.add(_spawn(sock, config))
        time.sleep(REAP_INTERVAL_S)

    for pid in workers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while workers and time.monotonic() < deadline:
        _reap(workers)
        time.sleep(REAP_INTERVAL_S / 2)
    for pid in workers:
        logger.warning("sandbox worker %d did not stop in time; killing it", pid)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    sock.close()
