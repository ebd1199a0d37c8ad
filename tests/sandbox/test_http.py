"""The sandbox's own HTTP/1.1 server: routing, pipelining, protocol errors."""

from __future__ import annotations

import re
import socket

import pytest

from tests.sandbox_process import RunningSandbox

# --- the HTTP layer ----------------------------------------------------------------------------


def _raw_exchange(sb: RunningSandbox, payload: bytes) -> bytes:
    """Send raw bytes, read until the server closes the connection (or 5 s pass)."""
    host, port = sb.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_unknown_routes_and_methods(sb: RunningSandbox) -> None:
    missing = sb.http.get("/v1/nothing")
    wrong_method = sb.http.delete("/v1/events")

    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    assert (wrong_method.status_code, wrong_method.json()["error"]["code"]) == (
        405,
        "method_not_allowed",
    )


def test_pipelined_requests_are_answered_in_order_and_http_1_0_closes(sb: RunningSandbox) -> None:
    auth = f"Authorization: Bearer {sb.api_key}\r\n".encode()
    answer = _raw_exchange(
        sb,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        + b"GET /v1/transfers/tr_none HTTP/1.1\r\nHost: x\r\n"
        + auth
        + b"\r\n"
        + b"GET /healthz HTTP/1.0\r\n\r\n",
    )

    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", answer)
    assert statuses == [b"200", b"404", b"200"]
    assert answer.endswith(b'{"status":"ok"}')
    assert b"Connection: close" in answer


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        (b"NONSENSE\r\n\r\n", b"400"),
        (b"GET /healthz HTTP/2.0\r\n\r\n", b"505"),
        (b"POST /v1/transfers HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
        (b"POST /v1/transfers HTTP/1.1\r\nContent-Length: 999999\r\n\r\n", b"413"),
        (b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n", b"431"),
    ],
)
def test_protocol_errors_are_answered_and_the_connection_closed(
    sb: RunningSandbox, payload: bytes, status: bytes
) -> None:
    answer = _raw_exchange(sb, payload)

    assert answer.startswith(b"HTTP/1.1 " + status)
    assert b"Connection: close" in answer
