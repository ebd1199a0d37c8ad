"""The payouts app's event types and renderers, registered with the webhooks app at start-up
(``PayoutsConfig.ready``). Each renderer is its room's representation, which the API's responses
use too, so an event carries the object exactly as the API shows it."""

from __future__ import annotations

from payouts.batches import events as batch_events
from payouts.batches.representation import batches_render
from payouts.lifecycle import events as payout_events
from payouts.lifecycle.representation import payouts_render
from payouts.payees import events as payee_events
from payouts.payees.representation import payees_render
from webhooks import registry


def register() -> None:
    registry.event_types_register(
        *payout_events.EVENT_TYPES, *batch_events.EVENT_TYPES, *payee_events.EVENT_TYPES
    )
    registry.renderer_register("payout", payouts_render)
    registry.renderer_register("payee", payees_render)
    registry.renderer_register("payout_batch", batches_render)
