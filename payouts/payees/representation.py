"""A payee as the API shows it and its events carry it: one function for both."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from payouts.common.representation import when
from payouts.payees.models import Payee


def payee_data(payee: Payee) -> dict[str, Any]:
    """A payee as the API and its events show it."""
    return {
        "id": payee.id,
        "object": "payee",
        "external_id": payee.external_id,
        "type": payee.type,
        "name": payee.legal_name,
        "email": payee.email,
        "country": payee.country,
        "status": payee.status,
        "kyc_tier": payee.kyc_tier,
        "metadata": payee.metadata,
        "created": when(payee.created),
        "updated": when(payee.updated),
    }


def payees_render(payees: Sequence[Payee]) -> list[dict[str, Any]]:
    """The renderer of ``payee`` events (``webhooks.registry``)."""
    return [payee_data(payee) for payee in payees]
