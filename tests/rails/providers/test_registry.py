"""The registry: every rail name maps to one adapter, and a rail with none is a typed error."""

from __future__ import annotations

from typing import Any

import pytest

from core.errors import DomainError
from payouts.execution.providers import provider_client
from rails.providers.base import RailAdapter, RailConfig
from rails.providers.registry import (
    RAIL_ADAPTERS,
    NoAdapter,
    adapter_class,
    adapter_create,
    rail_require,
)
from rails.providers.sandbox import SandboxClient


def test_the_sandbox_rail_has_the_sandbox_adapter_configured_from_settings(
    settings: Any,
) -> None:
    settings.SANDBOX_URL = "http://127.0.0.1:9/provider"
    settings.SANDBOX_API_KEY = "sk_from_settings"
    settings.SANDBOX_WEBHOOK_SECRET = "whsec_from_settings"
    settings.PROVIDER_TIMEOUT_S = 2.5

    with adapter_create("sandbox") as adapter:
        assert isinstance(adapter, SandboxClient)
        assert isinstance(adapter, RailAdapter)
        assert adapter.config == RailConfig(
            base_url="http://127.0.0.1:9/provider",
            api_key="sk_from_settings",
            timeout_s=2.5,
            webhook_secret="whsec_from_settings",
        )
    assert adapter_class("sandbox") is SandboxClient
    assert rail_require("sandbox") == "rails.providers.sandbox.SandboxClient"


def test_a_given_config_wins_over_the_settings() -> None:
    config = RailConfig("http://127.0.0.1:9", "sk_given", 0.5)

    with adapter_create("sandbox", config) as adapter:
        assert adapter.config is config


def test_every_registered_rail_names_a_rail_adapter() -> None:
    for rail in RAIL_ADAPTERS:
        assert issubclass(adapter_class(rail), RailAdapter)


@pytest.mark.parametrize("call", [rail_require, adapter_class, adapter_create, provider_client])
def test_a_rail_with_no_adapter_is_a_typed_error(call: Any) -> None:
    with pytest.raises(NoAdapter) as raised:
        call("pix_direct")

    assert isinstance(raised.value, DomainError)
    assert raised.value.code == "no_adapter"
    assert raised.value.rail == "pix_direct"
    assert "no adapter for rail 'pix_direct'" in raised.value.message
