"""make stop stops a running stack; make clean-local refuses while it runs.

A real launcher (``python -m config.stack``) runs in a temporary PAYOUTS_LOCAL_DIR on the test
servers; it is stopped while it prepares the database, which is the same path as a stop later.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.config.test_fail_closed import production_values
from tests.scratch_db import database_env, scratch

__all__ = ["scratch"]  # the fixture, used by name

BASE_DIR = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 90


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def stack_env(tmp_path: Path, scratch) -> dict[str, str]:
    # A database of its own, empty: the launcher is still migrating it (alive, holding its pid
    # file) while the test checks; the test database, and any real one, stay untouched.
    return {
        **os.environ,
        **database_env(scratch("stack")),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PAYOUTS_LOCAL_DIR": str(tmp_path / "local"),
        "PORT": str(_free_port()),
        "SANDBOX_URL": f"http://127.0.0.1:{_free_port()}",
    }


def _stack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603  # fixed arguments
        [sys.executable, "-m", "config.stack", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=STOP_TIMEOUT_S + 30,
        check=False,
    )


@pytest.fixture
def launcher(stack_env: dict[str, str], tmp_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    pid_file = Path(stack_env["PAYOUTS_LOCAL_DIR"]) / "stack.pid"
    with (tmp_path / "stack.log").open("wb") as log:
        process = subprocess.Popen(  # fixed arguments
            [sys.executable, "-m", "config.stack"],
            cwd=BASE_DIR,
            env=stack_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not pid_file.exists():
            assert process.poll() is None, (tmp_path / "stack.log").read_text()
            assert time.monotonic() < deadline, "the launcher wrote no pid file"
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 9)
            process.wait()


def test_stop_stops_the_running_stack_and_clean_local_refuses_meanwhile(
    stack_env: dict[str, str], launcher: subprocess.Popen[bytes], tmp_path: Path
) -> None:
    local = Path(stack_env["PAYOUTS_LOCAL_DIR"])
    pid, pgid = (int(n) for n in (local / "stack.pid").read_text().split())
    assert pid == launcher.pid
    assert pgid == os.getpgid(launcher.pid)

    assert _stack(stack_env, "status").returncode == 0

    refused = _stack(stack_env, "clean-local")
    assert refused.returncode == 1
    assert f"refusing to delete {local}: the stack is running" in refused.stderr
    assert "make stop" in refused.stderr
    assert local.is_dir()

    second = _stack(stack_env, "manage", "check")  # a one-off command still works beside it
    assert second.returncode == 0, second.stdout + second.stderr
    duplicate = _stack(stack_env)
    assert duplicate.returncode == 1
    assert "a stack is already running" in duplicate.stdout

    stopped = _stack(stack_env, "stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "the stack stopped" in stopped.stdout
    assert launcher.wait(timeout=5) == 0, (tmp_path / "stack.log").read_text()
    assert not (local / "stack.pid").exists()

    assert _stack(stack_env, "status").returncode == 1
    assert "no stack is running" in _stack(stack_env, "stop").stdout
    cleaned = _stack(stack_env, "clean-local")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not local.exists()


def test_a_stale_pid_file_is_ignored(stack_env: dict[str, str]) -> None:
    local = Path(stack_env["PAYOUTS_LOCAL_DIR"])
    local.mkdir(parents=True)
    (local / "stack.pid").write_text("999999999 999999999\n")
    assert _stack(stack_env, "status").returncode == 1
    assert not (local / "stack.pid").exists()
    assert _stack(stack_env, "clean-local").returncode == 0
    assert not local.exists()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "true"),
        ({"WEBHOOK_ALLOW_PRIVATE_NETWORKS": "false"}, "false"),
        (
            {"PRODUCTION": "true", "DEVELOPMENT": "false", **production_values()},
            "unset",
        ),
    ],
)
def test_the_stack_lets_webhooks_reach_its_local_receivers(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    """make run's processes may deliver to 127.0.0.1 (the quickstart's receiver), unless told
    otherwise or in production."""
    base = {k: v for k, v in os.environ.items() if k not in {"WEBHOOK_ALLOW_PRIVATE_NETWORKS"}}
    result = subprocess.run(  # fixed arguments
        [
            sys.executable,
            "-c",
            "import os; from config import stack; stack.allow_local_webhook_receivers(); "
            "print(os.environ.get('WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'unset'))",
        ],
        cwd=BASE_DIR,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "PAYOUTS_LOCAL_DIR": str(tmp_path / "local"),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == expected
