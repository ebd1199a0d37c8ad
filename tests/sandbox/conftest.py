"""One sandbox provider process for the whole package (settle 300 ms, return 600 ms, hang
3 s), calling back a real local HTTP receiver; every test uses fresh idempotency keys, so
they do not see each other's transfers. Tests that need a clean event feed or a reset start
their own sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from rails.providers.base import RailAdapter
from tests.sandbox.support import CallbackReceiver, redis_url
from tests.sandbox_process import RunningSandbox, sandbox_server


@pytest.fixture(scope="package")
def receiver() -> Iterator[CallbackReceiver]:
    server = CallbackReceiver()
    yield server
    server.close()


@pytest.fixture(scope="package")
def sandbox(receiver: CallbackReceiver) -> Iterator[RunningSandbox]:
    with sandbox_server(redis_url=redis_url(), callback_url=receiver.url) as running:
        yield running


@pytest.fixture
def sb(sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    """The shared sandbox, with every injected fault cleared after the test."""
    yield sandbox
    sandbox.faults_clear()


@pytest.fixture
def client(sb: RunningSandbox) -> RailAdapter:
    return sb.client(timeout_s=1.0)
