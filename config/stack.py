"""``make run``: the whole stack in one command. Resolves the database and the broker (the
embedded servers of ``config.embedded`` start when ``DATABASE_URL`` / ``REDIS_URL`` are unset),
prepares the database (migrate, demo data, a demo superuser, static files), then runs gunicorn,
the Celery workers (``WORKERS``: one for payouts, one for webhook deliveries) and Celery beat
as children that share those servers through exported URLs.

It is a development machine's stack: it sets ``DEVELOPMENT=true`` unless the environment says
otherwise, generates this checkout's development secrets once
(``embedded.development_secrets_ensure``), serves on 127.0.0.1 only, and gives the demo admin
user a generated password, printed once when the user is created and stored only as its hash.

SIGINT or SIGTERM stops the children (TERM, then KILL after a grace period) and then the embedded
servers this launcher resolved. A child that dies on its own stops the others and the launcher
exits non-zero.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from environs import Env

from config import embedded, stackctl
from config.demo_admin import demo_superuser_note
from config.processes import (
    POLL_INTERVAL_S,
    STOP_GRACE_S,
    Child,
    Stop,
    child_env,
    output_lock,
    say,
    spawn,
    terminate,
)

BASE_DIR = Path(__file__).resolve().parent.parent
MANAGE = str(BASE_DIR / "manage.py")
# Every server the stack starts listens here only: a development machine's stack, demo data and
# all, is nobody else's to reach.
BIND_HOST = "127.0.0.1"
# The Celery workers the stack runs: (name, queues). Webhook deliveries have a pool of their own,
# so receivers, however slow, never hold the workers that pay out. The tests start the same ones.
WORKERS = [("worker", "default,ledger,payouts"), ("webhooks", "webhooks")]
READY_TIMEOUT_S = 90.0
READY_PROBE_TIMEOUT_S = 2.0
_env = Env()  # PORT and SANDBOX_SETTLE_AFTER_MS; a bad value's error names it


def _resolve_servers() -> embedded.Servers:
    """Start the embedded servers for unset URLs and export the URLs (see config.embedded)."""
    os.environ.setdefault("DEVELOPMENT", "true")
    if _env.bool("DEVELOPMENT"):
        embedded.development_secrets_ensure()
    servers = embedded.ensure_servers()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    allow_local_webhook_receivers()
    return servers


def allow_local_webhook_receivers() -> None:
    """Let the processes this launcher starts deliver webhooks to loopback and private networks
    (the receivers of a development stack, such as the quickstart's on 127.0.0.1), unless
    PRODUCTION is set or WEBHOOK_ALLOW_PRIVATE_NETWORKS is set already, in the environment or
    in .env (which loading the settings has read into the environment)."""
    from django.conf import settings

    if not settings.PRODUCTION:
        os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")


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
        say(f"stopping the embedded {' and '.join(names)}")
        embedded.stop_embedded(
            database=servers.is_database_embedded, broker=servers.is_broker_embedded
        )


def _run_step(stop: Stop, name: str, args: list[str]) -> int | None:
    """Run one preparation command to its end; None when a stop was asked for meanwhile."""
    say(f"{name}: {' '.join(args)}")
    process = spawn([sys.executable, MANAGE, *args])
    child = Child(name, process)
    while process.poll() is None:
        if stop.requested:
            terminate([child], stop)
            return None
        time.sleep(POLL_INTERVAL_S)
    child.pump.join(timeout=5)
    return process.returncode


def _has_command(name: str) -> bool:
    result = subprocess.run(
        [sys.executable, MANAGE, "help", name],
        cwd=BASE_DIR,
        env=child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    return result.returncode == 0


def _run_steps(stop: Stop, steps: list[tuple[str, list[str]]]) -> bool:
    for name, args in steps:
        if stop.requested or _run_step(stop, name, args) != 0:
            return False
    return not stop.requested


def _prepare(stop: Stop) -> str | None:
    """Migrate, seed, make the demo superuser, collect static files.

    Returns the line that tells how to log in to the admin, or None when a step failed or a stop
    was asked for.
    """
    steps = [("migrate", ["migrate", "--noinput"])]
    for command in ("seed_demo", "seed_payouts_demo"):
        if _has_command(command):
            steps.append(("seed", [command]))
        else:
            say(f"WARNING: no {command} command (manage.py help {command} failed)")
    if not _run_steps(stop, steps):
        return None
    admin_note = demo_superuser_note()
    say(f"admin: {admin_note}")
    if not _run_steps(stop, [("static", ["collectstatic", "--noinput"])]):
        return None
    return admin_note


def _start(name: str, args: list[str]) -> Child:
    # Each child leads its own process group: a terminal's Ctrl-C reaches only this launcher,
    # which then stops the children in order and can kill a whole group if one hangs.
    process = spawn([sys.executable, "-m", *args])
    say(f"{name} started (pid {process.pid})")
    return Child(name, process)


def _sandbox_port() -> int:
    from django.conf import settings

    return int(str(settings.SANDBOX_URL).rsplit(":", 1)[-1].rstrip("/"))


def _child_specs(port: int) -> list[tuple[str, list[str]]]:
    """Each child's name and ``python -m`` arguments."""
    schedule = embedded.local_dir() / "celerybeat-schedule"
    return [
        (
            "web",
            [
                "gunicorn",
                "config.wsgi:application",
                "--bind",
                f"{BIND_HOST}:{port}",
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
        *(
            (
                name,
                [
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "-Q",
                    queues,
                    "--concurrency",
                    "2",
                    "-n",
                    f"{name}@%h",
                    "--loglevel",
                    "INFO",
                ],
            )
            for name, queues in WORKERS
        ),
        ("beat", ["celery", "-A", "config", "beat", "--loglevel", "INFO", "-s", str(schedule)]),
        (
            "sandbox",
            [
                "sandbox",
                "--host",
                BIND_HOST,
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


def _start_children(port: int) -> list[Child]:
    (embedded.local_dir() / "celerybeat-schedule").parent.mkdir(parents=True, exist_ok=True)
    return [_start(name, args) for name, args in _child_specs(port)]


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
        f"  Database  {servers.database_url}  ({database}; the application's role)",
        f"            {servers.migration_database_url or 'the same'}  (migrations: the owner's)",
        f"  Broker    {servers.redis_url}  ({broker})",
        f"  Sandbox   {_sandbox_url()}  (the provider's far side; see sandbox/README.md)",
        "  Web server, Celery workers (queues default, ledger, payouts; and webhooks on a",
        "  worker of its own), Celery beat and the sandbox provider are up.",
        "  Press Ctrl-C to stop everything.",
        rule,
    ]
    with output_lock:
        print("\n".join(lines), flush=True)


def _supervise(children: list[Child], stop: Stop, port: int, on_ready: Callable[[], None]) -> int:
    """Wait for a stop request (0) or for a child to die on its own (1)."""
    is_ready = False
    ready_deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop.requested:
        for child in children:
            code = child.process.poll()
            if code is not None:
                say(f"{child.name} exited unexpectedly with code {code}: stopping the stack")
                return 1
        if not is_ready:
            if _is_ready(port):
                is_ready = True
                on_ready()
            elif time.monotonic() > ready_deadline:
                say(f"/healthz did not answer 200 within {READY_TIMEOUT_S:.0f} s; still waiting")
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
            [sys.executable, MANAGE, *args], cwd=BASE_DIR, env=child_env(), check=False
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
        say(f"a stack is already running from {embedded.local_dir()} (pid {running}): make stop")
        return 1
    stackctl.record()
    try:
        return run()
    finally:
        stackctl.forget()


def run() -> int:
    stop = Stop()
    signal.signal(signal.SIGINT, stop.handle)
    signal.signal(signal.SIGTERM, stop.handle)
    port = _env.int("PORT", 8000)

    servers = _resolve_servers()
    say(
        f"database: {servers.database_url} (migrations: {servers.migration_database_url or 'same'})"
    )
    say(f"broker:   {servers.redis_url}")
    children: list[Child] = []
    exit_code = 1
    try:
        admin_note = _prepare(stop)
        if admin_note is not None:
            children = _start_children(port)
            exit_code = _supervise(children, stop, port, lambda: _banner(port, servers, admin_note))
        elif stop.requested:
            exit_code = 0
        else:
            say("preparing the database failed: not starting the stack")
    finally:
        if children and not terminate(children, stop):
            exit_code = exit_code or 1
        _stop_servers(servers)
    say("stopped" if exit_code == 0 else f"stopped with exit code {exit_code}")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
