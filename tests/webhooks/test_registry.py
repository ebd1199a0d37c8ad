"""The registry through which emitting apps declare their event types and renderers."""

from __future__ import annotations

import pytest

from webhooks import registry


def test_every_app_has_registered_its_event_types_at_start_up() -> None:
    assert registry.event_types() == (
        "payout.created",
        "payout.processing",
        "payout.paid",
        "payout.failed",
        "payout.returned",
        "payout.canceled",
        "payout.rejected",
        "batch.completed",
        "payee.updated",
        "webhook_endpoint.disabled",
    )


def test_a_type_or_renderer_is_registered_once() -> None:
    with pytest.raises(AssertionError, match="registered twice"):
        registry.event_types_register("payout.paid")
    with pytest.raises(AssertionError, match="registered already"):
        registry.renderer_register("payout", lambda objects: [])
    assert registry.event_types().count("payout.paid") == 1


def test_a_renderer_that_loses_objects_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(registry._renderers, "test_object", lambda objects: [{"id": 1}])
    assert registry.render("test_object", [object()]) == [{"id": 1}]
    with pytest.raises(AssertionError, match="returned 1 dicts"):
        registry.render("test_object", [object(), object()])
