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

A failure is ``Failed`` with a reason the platform may see (``NOT_ALLOWED``, ``CONNECTION_FAILED``
...); what exactly went wrong, addresses included, goes to our log only.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
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


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP/1.1 to one of ``addresses`` (already checked) that names ``host``: in ``Host``, and
    for TLS as the server name that is sent and that the certificate must match."""

    def __init__(
        self, host: str, port: int, *, addresses: list[str], is_tls: bool, timeout_s: float
    ) -> None:
        super().__init__(host, port, timeout=timeout_s)
        self.default_port = 443 if is_tls else 80  # Host names the port only when it differs
        self._addresses = addresses
        self._is_tls = is_tls

    def connect(self) -> None:
        sock = self._connect_any()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self._is_tls:
            sock = _tls_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock

    def _connect_any(self) -> socket.socket:
        error: OSError | None = None
        for address in self._addresses:
            try:
                return socket.create_connection((address, self.port), timeout=self.timeout)
            except TimeoutError:
                raise
            except OSError as exc:
                error = exc
        assert error is not None, "destinations.addresses returns at least one address"
        raise error


def post(
    url: str, body: bytes, headers: dict[str, str], *, timeout_s: float, excerpt_bytes: int
) -> Answer:
    """POST ``body`` to ``url`` (no database, no lock): the status code and the first
    ``excerpt_bytes`` of the answer. Connecting and each read or write may take ``timeout_s``.
    Raises ``Failed`` when there is no answer (refused destination, no such name, no connection,
    TLS, a timeout, not HTTP); never another network error."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = parts.hostname or ""
    port = parts.port or (443 if scheme == "https" else 80)
    if destinations.scheme_refusal(scheme):
        raise Failed(HTTPS_REQUIRED)
    try:
        addresses = destinations.addresses(host, port)
    except destinations.Refused as exc:
        logger.warning("webhook destination refused: %s", exc)
        raise Failed(NOT_ALLOWED) from None
    except (OSError, UnicodeError) as exc:
        logger.info("webhook host %s did not resolve: %s", host, exc)
        raise Failed(UNRESOLVABLE) from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _PinnedConnection(
        host, port, addresses=addresses, is_tls=scheme == "https", timeout_s=timeout_s
    )
    try:
        try:
            connection.request(
                "POST", target, body=body, headers={**headers, "Connection": "close"}
            )
            response = connection.getresponse()
        except (OSError, http.client.HTTPException) as exc:
            logger.info("webhook POST to %s failed: %r", host, exc)
            raise Failed(_reason(exc, timeout_s)) from None
        excerpt = b""
        try:
            # The answer is its status; the body is only kept as far as it comes.
            excerpt = response.read(excerpt_bytes)
        except (OSError, http.client.HTTPException) as exc:
            logger.info("webhook answer from %s cut short: %r", host, exc)
        return Answer(response.status, excerpt)
    finally:
        connection.close()


def _reason(exc: BaseException, timeout_s: float) -> str:
    if isinstance(exc, TimeoutError):
        return f"timed out after {timeout_s} s"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return CERTIFICATE_REFUSED
    if isinstance(exc, ssl.SSLError):
        return TLS_FAILED
    if isinstance(exc, OSError):  # RemoteDisconnected among them: closed with no answer
        return CONNECTION_FAILED
    return NOT_HTTP
