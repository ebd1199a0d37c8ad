"""The payee's event, ``payee.updated``, rendered by the renderer the app registers
(``payouts.event_renderers``)."""

from __future__ import annotations

from payouts.payees.models import Payee
from webhooks.events import Emitted, objects_emit

EVENT_TYPES: tuple[str, ...] = ("payee.updated",)


def payee_updated_emit(*, payee: Payee) -> Emitted:
    """``payee.updated`` for a payee whose row the caller has locked."""
    return objects_emit(object_type="payee", items=[(payee, "payee.updated")])
