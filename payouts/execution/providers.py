"""Our side of each provider: the client for a rail, and the destination of a payout."""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings

from core.crypto import decrypt_json
from payouts.lifecycle.models import Payout
from rails.providers.sandbox import SandboxClient
from rails.types import Destination, SubmitRequest


@lru_cache(maxsize=8)
def provider_client(rail: str) -> SandboxClient:
    """The HTTP client of a rail's provider (every rail is the sandbox provider for now)."""
    assert rail == "sandbox", f"no provider for rail {rail}"
    return SandboxClient(
        base_url=settings.SANDBOX_URL,
        api_key=settings.SANDBOX_API_KEY,
        timeout_s=settings.PROVIDER_TIMEOUT_S,
    )


def submit_request(payout: Payout, idempotency_key: str) -> SubmitRequest:
    """What the provider is sent for an attempt: the same body every time for the same key."""
    method = payout.method
    details = {
        **{k: str(v) for k, v in method.public.items()},
        **decrypt_json(method.secret_encrypted),
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
