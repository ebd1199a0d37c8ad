"""A real Celery worker process for tests, on the test database and the test broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from config.stack import WORKERS

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60


def test_database_url() -> str:
    """DATABASE_URL, pointed at the database the tests run on (pytest-django's ``test_...``)."""
    url = urlsplit(str(settings.DATABASE_URL))
    return urlunsplit(url._replace(path="/" + quote(str(connection.settings_dict["NAME"]))))


@contextmanager
def celery_worker(
    queues: str = "default,ledger,payouts", env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Start ``celery worker`` as its own process; stop it (TERM, then KILL) on exit.

    ``env`` adds variables (the sandbox's URL, a crash point)."""
    # As the application's own workers: the application role's URL only, never the owner's.
    env = {
        **{k: v for k, v in os.environ.items() if k != "MIGRATION_DATABASE_URL"},
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": str(settings.REDIS_URL),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SANDBOX_URL": str(settings.SANDBOX_URL),
        "SANDBOX_API_KEY": str(settings.SANDBOX_API_KEY),
        "SANDBOX_WEBHOOK_SECRET": str(settings.SANDBOX_WEBHOOK_SECRET),
        # The tests' receivers are on 127.0.0.1 (tests/settings.py), unless a test says not.
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": str(bool(settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS)),
        **(env or {}),
    }
    hostname = f"test-{os.getpid()}-{time.monotonic_ns()}@localhost"
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-Q",
            queues,
            "--pool",
            "solo",
            "-n",
            hostname,
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            os.environ.get("TEST_WORKER_LOGLEVEL", "WARNING"),
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not celery_app.control.ping(destination=[hostname], timeout=0.5):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"celery worker did not start (exit code {process.poll()})")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def stack_workers(env: dict[str, str] | None = None) -> Iterator[list[subprocess.Popen[bytes]]]:
    """The workers ``make run`` starts (``config.stack.WORKERS``), each on its queues."""
    with ExitStack() as stack:
        yield [stack.enter_context(celery_worker(queues, env)) for _, queues in WORKERS]
