"""One webhook POST on the wire: to an address checked just now, telling the platform nothing of
our network when it fails.

The name in the URL is resolved once, by ``destinations.addresses``, which refuses it unless
every address it resolves to may be reached; the connection then goes to one of those addresses
(the next on a refused connection), never to the name, so a resolver that answers differently a
moment later (DNS rebinding) is never asked. The request still names the host of the URL: its
``Host`` header, and for https the TLS server name and the certificate check, are the host's.

Why the standard library's ``http.client`` rather than httpx's client: httpx's pool connects by
name (a second resolution after our check) and shares a connection among host names on one
address once we pin it; here each POST owns one connection (``Connection: close``), made by
``_PinnedConnection.connect`` from the checked addresses. Redirects are never followed: a 3xx is
an answer like any other.

Everything one POST does, resolving the name, connecting, the TLS handshake, sending and reading
the answer, fits in one deadline (``deadline_s``): each blocking step may take what is left of it
(and no more than ``timeout_s``), so a receiver that trickles its answer a byte at a time, which
no per-read timeout ever trips, is cut off when the deadline comes. The name is resolved on a
small pool of threads of its own, so that a resolver that does not answer is waited for no
longer than the deadline either.

A failure is ``Failed`` with a reason the platform may see (``NOT_ALLOWED``, ``CONNECTION_FAILED``
...); what exactly went wrong, addresses included, goes to our log only.
"""

from __future__ import annotations

import http.client
import io
import logging
import socket
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx

from webhooks import destinations

logger = logging.getLogger(__name__)

NOT_ALLOWED = "the destination address is not allowed"
HTTPS_REQUIRED = "the destination must use https"
UNRESOLVABLE = "the host name could not be resolved"
CONNECTION_FAILED = "connection failed"
TLS_FAILED = "TLS handshake failed"
CERTIFICATE_REFUSED = "the TLS certificate could not be verified"
NOT_HTTP = "the answer was not valid HTTP"
RESOLVER_THREADS = 8
# Past the deadline a blocking step has this little left: it counts as the deadline's.
DEADLINE_SLACK_S = 0.01


class Failed(Exception):
    """No answer to the POST; ``reason`` is what the platform is told."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    status_code: int
    excerpt: bytes  # the start of the body, as far as it could be read


@lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    # httpx's: the certifi roots, as the provider clients use, with hostname checking on.
    return httpx.create_ssl_context()


@lru_cache(maxsize=1)
def _resolver() -> ThreadPoolExecutor:
    # Made on first use, in the worker process that uses it (never before a fork).
    return ThreadPoolExecutor(max_workers=RESOLVER_THREADS, thread_name_prefix="webhook-dns")


class _Deadline:
    """The time one POST has left; ``bound`` is what one blocking step may take of it."""

    def __init__(self, total_s: float, step_s: float) -> None:
        self.total_s = total_s
        self.step_s = step_s
        self.at = time.monotonic() + total_s

    def left(self) -> float:
        return self.at - time.monotonic()

    def bound(self) -> float:
        left = self.left()
        if left <= 0:
            raise TimeoutError("the deadline has passed")
        return min(self.step_s, left)


class _BoundedSocket:
    """A connected socket whose every send and receive may take only what the deadline has
    left; ``http.client`` uses no more of a socket than this. Like a socket, it is closed once
    both it and the answer's reader are (``http.client`` closes the connection of a
    ``Connection: close`` answer before the answer is read)."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline
        self._readers = 0
        self._is_closed = False

    def sendall(self, data: Any) -> None:
        # A timeout bounds the whole of sendall, not each chunk of it.
        self._sock.settimeout(self._deadline.bound())
        self._sock.sendall(data)

    def recv_into(self, buffer: Any) -> int:
        self._sock.settimeout(self._deadline.bound())
        return self._sock.recv_into(buffer)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        assert mode == "rb", "http.client only reads the answer through it"
        self._readers += 1
        return io.BufferedReader(_BoundedReader(self))

    def close(self) -> None:
        self._is_closed = True
        self._close_when_unused()

    def reader_closed(self) -> None:
        self._readers -= 1
        self._close_when_unused()

    def _close_when_unused(self) -> None:
        if self._is_closed and self._readers <= 0:
            self._sock.close()


class _BoundedReader(io.RawIOBase):
    def __init__(self, sock: _BoundedSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(buffer)

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP/1.1 to one of ``addresses`` (already checked) that names ``host``: in ``Host``, and
    for TLS as the server name that is sent and that the certificate must match. Every step
    is bounded by ``deadline``."""

    def __init__(
        self, host: str, port: int, *, addresses: list[str], is_tls: bool, deadline: _Deadline
    ) -> None:
        super().__init__(host, port, timeout=deadline.step_s)
        self.default_port = 443 if is_tls else 80  # Host names the port only when it differs
        self._addresses = addresses
        self._is_tls = is_tls
        self._deadline = deadline

    def connect(self) -> None:
        sock = self._connect_any()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._is_tls:
            # The handshake is bounded as a whole by the socket's timeout (CPython's ssl).
            sock.settimeout(self._deadline.bound())
            sock = _tls_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = _BoundedSocket(sock, self._deadline)

    def _connect_any(self) -> socket.socket:
        error: OSError | None = None
        for address in self._addresses:
            try:
                return socket.create_connection(
                    (address, self.port), timeout=self._deadline.bound()
                )
            except TimeoutError:
                raise
            except OSError as exc:
                error = exc
        assert error is not None, "destinations.addresses returns at least one address"
        raise error


def _addresses(host: str, port: int, deadline: _Deadline) -> list[str]:
    """``destinations.addresses``, waited for no longer than the deadline allows."""
    return _resolver().submit(destinations.addresses, host, port).result(deadline.bound())


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    timeout_s: float,
    deadline_s: float,
    excerpt_bytes: int,
) -> Answer:
    """POST ``body`` to ``url`` (no database, no lock): the status code and the first
    ``excerpt_bytes`` of the answer (as far as it comes in time). Each blocking step may take
    ``timeout_s``, and all of them together ``deadline_s``. Raises ``Failed`` when there is no
    answer (refused destination, no such name, no connection, TLS, a timeout or the deadline,
    not HTTP); never another network error."""
    deadline = _Deadline(deadline_s, timeout_s)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    if destinations.scheme_refusal(scheme):
        raise Failed(HTTPS_REQUIRED)
    try:
        addresses = _addresses(host, port, deadline)
    except TimeoutError:
        logger.info("webhook host %s did not resolve in time", host)
        raise Failed(_reason(TimeoutError(), deadline)) from None
    except destinations.Refused as exc:
        logger.warning("webhook destination refused: %s", exc)
        raise Failed(NOT_ALLOWED) from None
    except (OSError, UnicodeError) as exc:
        logger.info("webhook host %s did not resolve: %s", host, exc)
        raise Failed(UNRESOLVABLE) from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedConnection(
        host, port, addresses=addresses, is_tls=scheme == "https", deadline=deadline
    )
    response: http.client.HTTPResponse | None = None
    try:
        try:
            connection.request(
                "POST", target, body=body, headers={**headers, "Connection": "close"}
            )
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            logger.info("webhook POST to %s failed: %r", host, exc)
            raise Failed(_reason(exc, deadline)) from None
        excerpt = b""
        try:
            # The answer is its status; the body is only kept as far as it comes.
            excerpt = response.read(excerpt_bytes)
        except (OSError, http.client.HTTPException) as exc:
            logger.info("webhook answer from %s cut short: %r", host, exc)
        return Answer(response.status, excerpt)
    finally:
        if response is not None:
            response.close()
        connection.close()


def _reason(exc: BaseException, deadline: _Deadline) -> str:
    if isinstance(exc, TimeoutError):
        if deadline.left() <= DEADLINE_SLACK_S:
            return f"no complete answer within {deadline.total_s} s"
        return f"timed out after {deadline.step_s} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CERTIFICATE_REFUSED
    if isinstance(exc, ssl.SSLError):
        return TLS_FAILED
    if isinstance(exc, OSError):  # RemoteDisconnected among them: closed with no answer
        return CONNECTION_FAILED
    return NOT_HTTP
