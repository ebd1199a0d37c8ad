"""``make run``: the whole stack in one command.

Resolves the database and the broker (the embedded servers of ``config.embedded`` start when
``DATABASE_URL`` / ``REDIS_URL`` are unset), prepares the database (migrate, demo data, a demo
superuser, static files), then runs gunicorn, a Celery worker and Celery beat as child processes
that share those servers through the exported URLs.

SIGINT or SIGTERM stops the children (TERM, then KILL after a grace period) and then the embedded
servers this launcher resolved. A child that dies on its own stops the others and the launcher
exits non-zero.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO

from environs import Env

from config import embedded, stackctl

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = str(BASE_DIR / "manage.py")
DEMO_USERNAME = "admin"
DEMO_PASSWORD = "admin"  # noqa: S105  # demo credentials, printed on purpose
DEMO_EMAIL = "admin@example.com"
STOP_GRACE_S = 20.0
POLL_INTERVAL_S = 0.25
READY_TIMEOUT_S = 90.0
READY_PROBE_TIMEOUT_S = 2.0
_env = Env()  # PORT and SANDBOX_SETTLE_AFTER_MS; a bad value's error names it


class _Stop:
    """Counts SIGINT/SIGTERM: the first asks for a graceful stop, a second one hurries it."""

    def __init__(self) -> None:
        self.count = 0
        self.signal_name = ""

    @property
    def requested(self) -> bool:
        return self.count > 0

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        self.count += 1
        self.signal_name = signal.Signals(signum).name
        if self.count == 1:
            _say(f"{self.signal_name} received: stopping (again to stop at once)")
        else:
            _say(f"{self.signal_name} received again: killing the children")


@dataclass
class _Child:
    name: str
    process: subprocess.Popen[bytes]
    pump: threading.Thread = field(init=False)

    def __post_init__(self) -> None:
        self.pump = threading.Thread(
            target=_pump_output, args=(self.name, self.process.stdout), daemon=True
        )
        self.pump.start()


_output_lock = threading.Lock()


def _say(message: str) -> None:
    with _output_lock:
        print(f"stack   | {message}", flush=True)


def _pump_output(name: str, stream: IO[bytes] | None) -> None:
    """Copy a child's output to ours, one prefixed line at a time."""
    if stream is None:
        return
    prefix = f"{name:<7} | ".encode()
    for line in iter(stream.readline, b""):
        with _output_lock:
            sys.stdout.buffer.write(prefix + line)
            sys.stdout.buffer.flush()
    stream.close()


def _resolve_servers() -> embedded.Servers:
    """Start the embedded servers for unset URLs and export the URLs (see config.embedded)."""
    servers = embedded.ensure_servers()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return servers


def _stop_servers(servers: embedded.Servers) -> None:
    """Stop the embedded servers this launcher resolved, and only those."""
    names = [
        name
        for name, embedded_here in (
            ("PostgreSQL", servers.is_database_embedded),
            ("Redis", servers.is_broker_embedded),
        )
        if embedded_here
    ]
    if names:
        _say(f"stopping the embedded {' and '.join(names)}")
        embedded.stop_embedded(
            database=servers.is_database_embedded, broker=servers.is_broker_embedded
        )


def _spawn(argv: list[str]) -> subprocess.Popen[bytes]:
    """A child in its own process group, its output piped to us for prefixing."""
    return subprocess.Popen(
        argv,
        cwd=BASE_DIR,
        env=_child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        process_group=0,
    )


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run_step(stop: _Stop, name: str, args: list[str]) -> int | None:
    """Run one preparation command to its end; None when a stop was asked for meanwhile."""
    _say(f"{name}: {' '.join(args)}")
    process = _spawn([sys.executable, MANAGE, *args])
    child = _Child(name, process)
    while process.poll() is None:
        if stop.requested:
            _terminate([child], stop)
            return None
        time.sleep(POLL_INTERVAL_S)
    child.pump.join(timeout=5)
    return process.returncode


def _has_command(name: str) -> bool:
    result = subprocess.run(
        [sys.executable, MANAGE, "help", name],
        cwd=BASE_DIR,
        env=_child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _ensure_demo_superuser() -> bool:
    """Create the demo superuser unless a user of that name exists; True when it was created."""
    import django
    from django.contrib.auth import get_user_model
    from django.db import IntegrityError, connections, transaction

    django.setup()
    user_model = get_user_model()
    try:
        if user_model.objects.filter(username=DEMO_USERNAME).exists():
            return False
        with transaction.atomic():
            user_model.objects.create_superuser(
                username=DEMO_USERNAME, email=DEMO_EMAIL, password=DEMO_PASSWORD
            )
    except IntegrityError:
        return False  # another launcher created it a moment ago
    finally:
        connections.close_all()
    return True


def _run_steps(stop: _Stop, steps: list[tuple[str, list[str]]]) -> bool:
    for name, args in steps:
        if stop.requested or _run_step(stop, name, args) != 0:
            return False
    return not stop.requested


def _demo_superuser_note() -> str:
    from django.conf import settings

    if settings.PRODUCTION:
        return "PRODUCTION is set: no demo superuser was created"
    if _ensure_demo_superuser():
        return f"user {DEMO_USERNAME}, password {DEMO_PASSWORD} (created now)"
    return (
        f"user {DEMO_USERNAME}, password {DEMO_PASSWORD} "
        "(the user existed already; its password was left as it was)"
    )


def _prepare(stop: _Stop) -> str | None:
    """Migrate, seed, make the demo superuser, collect static files.

    Returns the line that tells how to log in to the admin, or None when a step failed or a stop
    was asked for.
    """
    steps = [("migrate", ["migrate", "--noinput"])]
    for command in ("seed_demo", "seed_payouts_demo"):
        if _has_command(command):
            steps.append(("seed", [command]))
        else:
            _say(f"WARNING: no {command} command (manage.py help {command} failed)")
    if not _run_steps(stop, steps):
        return None
    admin_note = _demo_superuser_note()
    _say(f"admin: {admin_note}")
    if not _run_steps(stop, [("static", ["collectstatic", "--noinput"])]):
        return None
    return admin_note


def _start(name: str, args: list[str]) -> _Child:
    # Each child leads its own process group: a terminal's Ctrl-C reaches only this launcher,
    # which then stops the children in order and can kill a whole group if one hangs.
    process = _spawn([sys.executable, "-m", *args])
    _say(f"{name} started (pid {process.pid})")
    return _Child(name, process)


def _sandbox_port() -> int:
    from django.conf import settings

    return int(str(settings.SANDBOX_URL).rsplit(":", 1)[-1].rstrip("/"))


def _start_children(port: int) -> list[_Child]:
    schedule = embedded.local_dir() / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    specs = [
        (
            "web",
            [
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"0.0.0.0:{port}",
                "--workers",
                "2",
                "--graceful-timeout",
                str(int(STOP_GRACE_S) - 5),
                "--access-logfile",
                "-",
                # Its default path is one per user, shared by every stack on the machine.
                "--no-control-socket",
            ],
        ),
        (
            "worker",
            [
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                "default,ledger,payouts,webhooks",
                "--concurrency",
                "2",
                "-n",
                "worker@%h",
                "--loglevel",
                "INFO",
            ],
        ),
        ("beat", ["celery", "-A", "config", "beat", "--loglevel", "INFO", "-s", str(schedule)]),
        (
            "sandbox",
            [
                "sandbox",
                "--host",
                "127.0.0.1",
                "--port",
                str(_sandbox_port()),
                "--redis-url",
                embedded.redis_py_url(os.environ["REDIS_URL"]),
                "--callback-url",
                f"http://127.0.0.1:{port}/callbacks/sandbox",
                "--settle-after-ms",
                str(_env.int("SANDBOX_SETTLE_AFTER_MS", 3000)),
                "--workers",
                "1",
            ],
        ),
    ]
    children: list[_Child] = []
    for name, args in specs:
        children.append(_start(name, args))
    return children


def _terminate(children: list[_Child], stop: _Stop) -> bool:
    """TERM every child still running, wait, then KILL what is left. True when none was killed."""
    running = [c for c in children if c.process.poll() is None]
    for child in running:
        _say(f"stopping {child.name} (pid {child.process.pid})")
        _signal_child(child, signal.SIGTERM, group=False)
    signals_at_start = stop.count
    deadline = time.monotonic() + STOP_GRACE_S
    while any(c.process.poll() is None for c in running):
        if time.monotonic() > deadline or stop.count > signals_at_start:
            break
        time.sleep(POLL_INTERVAL_S)
    is_clean = True
    for child in running:
        if child.process.poll() is None:
            _say(f"{child.name} did not stop in time: killing its process group")
            _signal_child(child, signal.SIGKILL, group=True)
            child.process.wait()
            is_clean = False
        child.pump.join(timeout=5)
    return is_clean


def _signal_child(child: _Child, signum: signal.Signals, *, group: bool) -> None:
    try:
        if group:
            os.killpg(child.process.pid, signum)
        else:
            child.process.send_signal(signum)
    except ProcessLookupError:
        pass


def _is_ready(port: int) -> bool:
    try:
        with urllib.request.urlopen(  # a fixed http URL on localhost
            f"http://127.0.0.1:{port}/healthz", timeout=READY_PROBE_TIMEOUT_S
        ) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _sandbox_url() -> str:
    from django.conf import settings

    return str(settings.SANDBOX_URL)


def _banner(port: int, servers: embedded.Servers, admin_note: str) -> None:
    base = f"http://127.0.0.1:{port}"
    database = "embedded" if servers.is_database_embedded else "from DATABASE_URL"
    broker = "embedded" if servers.is_broker_embedded else "from REDIS_URL"
    rule = "=" * 78
    lines = [
        rule,
        "  The payouts stack is running.",
        f"  Admin     {base}/admin/",
        f"            {admin_note}",
        f"  API root  {base}/v1/",
        f"  Health    {base}/healthz",
        f"  Database  {servers.database_url}  ({database})",
        f"  Broker    {servers.redis_url}  ({broker})",
        f"  Sandbox   {_sandbox_url()}  (the provider's far side; see sandbox/README.md)",
        "  Web server, Celery worker (queues default, ledger, payouts, webhooks), Celery beat",
        "  and the sandbox provider are up.",
        "  Press Ctrl-C to stop everything.",
        rule,
    ]
    with _output_lock:
        print("\n".join(lines), flush=True)


def _supervise(children: list[_Child], stop: _Stop, port: int, on_ready: Callable[[], None]) -> int:
    """Wait for a stop request (0) or for a child to die on its own (1)."""
    is_ready = False
    ready_deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop.requested:
        for child in children:
            code = child.process.poll()
            if code is not None:
                _say(f"{child.name} exited unexpectedly with code {code}: stopping the stack")
                return 1
        if not is_ready:
            if _is_ready(port):
                is_ready = True
                on_ready()
            elif time.monotonic() > ready_deadline:
                _say(f"/healthz did not answer 200 within {READY_TIMEOUT_S:.0f} s; still waiting")
                ready_deadline = float("inf")
        time.sleep(POLL_INTERVAL_S)
    return 0


def manage(args: list[str]) -> int:
    """``manage.py ARGS`` on the embedded servers (started for unset URLs, as for ``make run``).

    Servers this call started are stopped afterwards; ones that already ran (a ``make run`` in
    another terminal) are left running.
    """
    servers = _resolve_servers()
    try:
        return subprocess.run(
            [sys.executable, MANAGE, *args], cwd=BASE_DIR, env=_child_env(), check=False
        ).returncode
    finally:
        embedded.stop_embedded(
            database=servers.is_database_started, broker=servers.is_broker_started
        )


def main(argv: list[str] | None = None) -> int:
    """``python -m config.stack`` runs the stack; ``... manage ARGS`` runs one manage.py command."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["manage"]:
        return manage(args[1:])
    if len(args) == 1 and args[0] in stackctl.COMMANDS:
        return stackctl.COMMANDS[args[0]]()
    if args:
        print(__doc__)
        print(
            "usage: python -m config.stack [manage ARGS... | stop | status | clean-local]",
            file=sys.stderr,
        )
        return 2
    running = stackctl.running_pid()
    if running is not None:
        _say(f"a stack is already running from {embedded.local_dir()} (pid {running}): make stop")
        return 1
    stackctl.record()
    try:
        return run()
    finally:
        stackctl.forget()


def run() -> int:
    stop = _Stop()
    signal.signal(signal.SIGINT, stop.handle)
    signal.signal(signal.SIGTERM, stop.handle)
    port = _env.int("PORT", 8000)

    servers = _resolve_servers()
    _say(f"database: {servers.database_url}")
    _say(f"broker:   {servers.redis_url}")
    children: list[_Child] = []
    exit_code = 1
    try:
        admin_note = _prepare(stop)
        if admin_note is not None:
            children = _start_children(port)
            exit_code = _supervise(children, stop, port, lambda: _banner(port, servers, admin_note))
        elif stop.requested:
            exit_code = 0
        else:
            _say("preparing the database failed: not starting the stack")
    finally:
        if children and not _terminate(children, stop):
            exit_code = exit_code or 1
        _stop_servers(servers)
    _say("stopped" if exit_code == 0 else f"stopped with exit code {exit_code}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
