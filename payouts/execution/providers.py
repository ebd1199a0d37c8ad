"""Our side of each provider: the client for a rail, and the destination of a payout."""

from __future__ import annotations

from functools import lru_cache

from payouts.lifecycle.models import Payout
from payouts.payees.secrets import method_secret
from rails.providers.base import RailAdapter
from rails.providers.registry import adapter_create
from rails.types import Destination, SubmitRequest


@lru_cache(maxsize=8)
def provider_client(rail: str) -> RailAdapter:
    """The adapter of a rail's provider, shared by the threads of a process. Raises
    ``rails.providers.registry.NoAdapter`` for a rail with none."""
    return adapter_create(rail)


def submit_request(payout: Payout, idempotency_key: str) -> SubmitRequest:
    """What the provider is sent for an attempt: the same body every time for the same key."""
    method = payout.method
    details = {
        **{k: str(v) for k, v in method.public.items()},
        **method_secret(method),
    }
    return SubmitRequest(
        idempotency_key=idempotency_key,
        amount_minor=payout.net_minor,
        currency=payout.currency,
        destination=Destination(
            method_type=method.type,
            country=method.country,
            currency=method.currency,
            holder_name=method.holder_name,
            details=details,
        ),
        reference=f"payout-{payout.id}",
    )
