"""What the apps that emit events tell this one: their event types, and how to render each kind
of object into an event's ``data``.

This app knows no payout. An emitting app registers at start-up (its ``AppConfig.ready``)::

    registry.event_types_register("payout.created", "payout.paid")
    registry.renderer_register("payout", payouts_render)

A renderer takes the objects of one kind and returns their ``data`` dicts, in the same order, as
the object reads at that moment (the API's representation); it gets the whole chunk at once so
it can read related rows in a few queries rather than a few per object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.apps import apps

Renderer = Callable[[Sequence[Any]], list[dict[str, Any]]]

_event_types: dict[str, None] = {}  # a dict keeps the order of registration
_renderers: dict[str, Renderer] = {}


def event_types_register(*types: str) -> None:
    """Make these event types known: an endpoint may subscribe to them and they may be emitted.
    Registering a type twice is a bug (two apps claiming one name)."""
    for type_ in types:
        assert type_ not in _event_types, f"event type {type_} registered twice"
        _event_types[type_] = None


def renderer_register(object_type: str, render: Renderer) -> None:
    """Render the objects of ``object_type`` (``payout``, ``payee``...) with ``render``."""
    assert object_type not in _renderers, f"a renderer for {object_type} is registered already"
    _renderers[object_type] = render


def event_types() -> tuple[str, ...]:
    """Every registered event type. Read only once the apps are ready (every app has registered
    its types by then): reading it earlier would miss some."""
    assert apps.ready, "event types are complete only once every app is ready"
    return tuple(_event_types)


def is_event_type(type_: str) -> bool:
    return type_ in _event_types


def render(object_type: str, objects: Sequence[Any]) -> list[dict[str, Any]]:
    """The ``data`` of each object, rendered by the renderer registered for ``object_type``."""
    data = _renderers[object_type](objects)
    assert len(data) == len(objects), f"the {object_type} renderer returned {len(data)} dicts"
    return data
