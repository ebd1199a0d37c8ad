"""Keep-alive HTTP for rail adapters that speak HTTP to their provider.

One connection per thread, every call bounded by a timeout. The sandbox adapter uses it; an
adapter for another HTTP provider can too.
"""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class HttpAnswer:
    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class KeepAliveTransport:
    """Keep-alive HTTP/1.1 connections to one provider, one per thread (``http.client``, which
    costs a fifth of a general-purpose client's CPU per call: a worker makes thousands). Every
    call is bounded by ``timeout_s``: connecting, sending and each read."""

    def __init__(self, base_url: str, headers: dict[str, str], timeout_s: float) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self._is_https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._prefix = parts.path.rstrip("/")
        self._headers = headers
        self._timeout_s = timeout_s
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[http.client.HTTPConnection] = []

    def _connection(self) -> http.client.HTTPConnection:
        connection: http.client.HTTPConnection | None = getattr(self._local, "connection", None)
        if connection is None:
            kind = http.client.HTTPSConnection if self._is_https else http.client.HTTPConnection
            connection = kind(self._host, self._port, timeout=self._timeout_s)
            self._local.connection = connection
            with self._lock:
                self._open.append(connection)
        return connection

    def _drop(self, connection: http.client.HTTPConnection) -> None:
        connection.close()
        self._local.connection = None

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> HttpAnswer:
        """One call. Raises ``TimeoutError`` past the timeout, ``OSError`` or
        ``http.client.HTTPException`` when the provider cannot be reached or answers garbage."""
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(
                    method,
                    self._prefix + path,
                    body=body,
                    headers={**self._headers, **(headers or {})},
                )
                response = connection.getresponse()
                content = response.read()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The provider closed a kept-alive connection between two calls: once more on a
                # fresh one. Safe even for a submission: it carries its idempotency key.
                self._drop(connection)
                if attempt == 2:
                    raise
                continue
            except BaseException:
                self._drop(connection)
                raise
            if response.will_close:
                self._drop(connection)
            return HttpAnswer(response.status, content)
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            for connection in self._open:
                connection.close()
            self._open.clear()
