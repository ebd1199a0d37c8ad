"""Run a real sandbox provider process for a test: ``with sandbox_server(redis_url=...) as sb:``.

The sandbox is started exactly as in production (``python -m sandbox``) on a free
loopback port, with a Redis key prefix of its own, so tests and other sandboxes sharing the
Redis never see each other's transfers. On exit the process is stopped and its keys deleted.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import redis

from config.embedded import redis_py_url
from rails.providers.base import RailAdapter, RailConfig
from rails.providers.registry import adapter_create
from sandbox.store import delete_prefix

PROJECT_ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
CONTROL_TIMEOUT_S = 10.0
TEST_API_KEY = "sk_test_sandbox"
TEST_WEBHOOK_SECRET = "whsec_test_sandbox"


def free_port() -> int:
    """A loopback port that was free a moment ago (the sandbox binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RunningSandbox:
    """A started sandbox: its URL and credentials, clients, and its control API."""

    def __init__(self, *, url: str, api_key: str, webhook_secret: str, prefix: str) -> None:
        self.url = url
        self.api_key = api_key
        self.webhook_secret = webhook_secret
        self.prefix = prefix
        self.http = httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=CONTROL_TIMEOUT_S,
        )
        self._clients: list[RailAdapter] = []

    def client(self, timeout_s: float = 2.0) -> RailAdapter:
        """The sandbox rail's adapter (from the registry) pointed at this sandbox; closed when
        the sandbox stops."""
        client = adapter_create(
            "sandbox", RailConfig(self.url, self.api_key, timeout_s, self.webhook_secret)
        )
        self._clients.append(client)
        return client

    def stats(self, *, by_key: bool = True) -> dict[str, Any]:
        return self._ok(self.http.get("/_sandbox/stats", params={"by_key": str(by_key)}))

    def key_stats(self, idempotency_key: str) -> dict[str, Any]:
        return self._ok(self.http.get(f"/_sandbox/stats/{quote(idempotency_key, safe='')}"))

    def accepted_count(self, idempotency_key: str) -> int:
        """How many times the sandbox accepted (stored) a transfer for this key."""
        return int(self.key_stats(idempotency_key)["accepted"])

    def submit_count(self, idempotency_key: str) -> int:
        """How many submit calls the sandbox saw with this key, whatever their answer."""
        return int(self.key_stats(idempotency_key)["submits"])

    def faults(self, **changes: Any) -> dict[str, Any]:
        """Change injected faults (see sandbox/README.md); returns them all."""
        return self._ok(self.http.post("/_sandbox/faults", json=changes))

    def faults_clear(self) -> None:
        self.faults(
            submit_timeouts=0,
            submit_errors=0,
            duplicate_callbacks=False,
            callbacks_paused=False,
            callbacks_reversed=False,
            settle_after_ms=None,
        )

    def settle_now(self, *, returns: bool = True) -> int:
        """Apply every pending settlement (and, with ``returns``, return) now; how many moved."""
        return int(self._ok(self.http.post("/_sandbox/settle", json={"returns": returns}))["moved"])

    def reset(self) -> None:
        self._ok(self.http.post("/_sandbox/reset"))

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.http.close()

    @staticmethod
    def _ok(response: httpx.Response) -> dict[str, Any]:
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data


def _wait_healthy(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"the sandbox at {url} did not start:\n{log_path.read_text()[-4000:]}")


@contextmanager
def sandbox_server(
    *,
    redis_url: str,
    callback_url: str = "",
    settle_after_ms: int = 300,
    return_after_ms: int = 600,
    timeout_hang_s: float = 3,
    api_key: str = TEST_API_KEY,
    webhook_secret: str = TEST_WEBHOOK_SECRET,
    workers: int = 2,
) -> Iterator[RunningSandbox]:
    """Start ``python -m sandbox`` and yield it once ``/healthz`` answers.

    Raises ``RuntimeError`` (with the server's log) if it does not come up within 20 s. On exit
    the process is terminated (killed after 10 s) and every Redis key under its prefix deleted.
    """
    redis_url = redis_py_url(redis_url)  # the embedded broker's kombu URL, as redis-py spells it
    port = free_port()
    prefix = f"test-sandbox-{uuid.uuid4().hex[:12]}"
    url = f"http://127.0.0.1:{port}"
    command = [
        *(sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port)),
        *("--redis-url", redis_url, "--prefix", prefix, "--callback-url", callback_url),
        *("--settle-after-ms", str(settle_after_ms), "--return-after-ms", str(return_after_ms)),
        *("--timeout-hang-s", str(timeout_hang_s), "--workers", str(workers)),
        *("--log-level", "warning"),
    ]
    # Secrets travel in the environment, not the command line that `ps` shows.
    env = {**os.environ, "SANDBOX_API_KEY": api_key, "SANDBOX_WEBHOOK_SECRET": webhook_secret}
    with tempfile.TemporaryDirectory(prefix="sandbox-") as log_dir:
        log_path = Path(log_dir) / "sandbox.log"
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed args
                command, cwd=PROJECT_ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
            )
        running: RunningSandbox | None = None
        try:
            _wait_healthy(process, url, log_path)
            running = RunningSandbox(
                url=url, api_key=api_key, webhook_secret=webhook_secret, prefix=prefix
            )
            yield running
        finally:
            if running is not None:
                running.close()
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(STOP_TIMEOUT_S)
            client = redis.Redis.from_url(redis_url, socket_timeout=CONTROL_TIMEOUT_S)
            try:
                delete_prefix(client, prefix)
            finally:
                client.close()
