"""Which adapter speaks for each rail: the one place rails are wired to their providers.

A rail named by a route, an attempt or a provider event must be a key of :data:`RAIL_ADAPTERS`;
its value is the dotted path of a :class:`~rails.providers.base.RailAdapter` subclass. Adding
a rail is adding its adapter module and one line here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from django.utils.module_loading import import_string

from core.errors import DomainError
from rails.providers.base import RailAdapter, RailConfig

RAIL_ADAPTERS: Mapping[str, str] = MappingProxyType(
    {
        "sandbox": "rails.providers.sandbox.SandboxClient",
    }
)


class NoAdapter(DomainError):
    """A rail with no adapter in :data:`RAIL_ADAPTERS`."""

    code = "no_adapter"

    def __init__(self, rail: str) -> None:
        super().__init__(
            f"no adapter for rail {rail!r} (rails with one: {', '.join(sorted(RAIL_ADAPTERS))})",
            rail=rail,
        )
        self.rail = rail


def rail_require(rail: str) -> str:
    """The dotted path of ``rail``'s adapter; raises :class:`NoAdapter` for a rail with none."""
    try:
        return RAIL_ADAPTERS[rail]
    except KeyError:
        raise NoAdapter(rail) from None


def adapter_class(rail: str) -> type[RailAdapter]:
    """The adapter class of ``rail``; raises :class:`NoAdapter` for a rail with none."""
    path = rail_require(rail)
    cls = import_string(path)
    assert isinstance(cls, type), f"{path} is not a class"
    assert issubclass(cls, RailAdapter), f"{path} is not a RailAdapter"
    return cls


def adapter_create(rail: str, config: RailConfig | None = None) -> RailAdapter:
    """A new adapter for ``rail``, configured from the settings unless ``config`` is given;
    the caller closes it. Raises :class:`NoAdapter` for a rail with none."""
    cls = adapter_class(rail)
    return cls(cls.settings_config() if config is None else config)
