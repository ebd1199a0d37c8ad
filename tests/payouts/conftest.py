"""Fixtures for the payouts tests: a platform, its payees, and the running parts (the sandbox
provider over HTTP, our own server for its callbacks). Helpers are in tests/support/payouts.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from payouts.payees.models import Payee
from payouts.platforms.models import Platform
from tests.factories import PayeeFactory, PlatformFactory
from tests.support.payouts import Running


@pytest.fixture
def platform(db: None) -> Platform:
    platform: Platform = PlatformFactory.create()
    return platform


@pytest.fixture
def make_payee(platform: Platform) -> Callable[..., Payee]:
    """``make_payee(external_id="", platform=..., legal_name=...)``: a payee of the test platform
    unless told (PayeeFactory)."""

    def make(external_id: str = "", **fields: Any) -> Payee:
        if external_id:
            fields["external_id"] = external_id
        payee: Payee = PayeeFactory.create(platform=fields.pop("platform", platform), **fields)
        return payee

    return make


@pytest.fixture
def running(live_server: Any, settings: Any) -> Iterator[Running]:
    """The sandbox provider (its own process), calling back our live server; our settings and
    provider client point at it."""
    from payouts.execution.providers import provider_client
    from tests.sandbox_process import sandbox_server

    callback_url = f"{live_server.url}/callbacks/sandbox"
    with sandbox_server(
        redis_url=str(settings.REDIS_URL),
        callback_url=callback_url,
        webhook_secret=settings.SANDBOX_WEBHOOK_SECRET,
        api_key=settings.SANDBOX_API_KEY,
    ) as sandbox:
        settings.SANDBOX_URL = sandbox.url
        provider_client.cache_clear()
        yield Running(sandbox=sandbox, callback_url=callback_url)
        provider_client.cache_clear()
