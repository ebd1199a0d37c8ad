"""Inbound provider callbacks (the provider calls us; platforms never do)."""

from __future__ import annotations

import logging

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from payouts.execution.providers import provider_client
from payouts.execution.settlement import provider_events_store
from rails.providers.base import CallbackRejected, InvalidSignature

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def sandbox_callback(request: HttpRequest) -> JsonResponse:
    """Verify the signature, store the events (once each) and answer 200 at once; applying
    them is a worker's job. A bad signature is 401, a malformed body 400; neither stores
    anything."""
    try:
        events = provider_client("sandbox").callback_events(
            body=request.body, headers=request.headers
        )
    except InvalidSignature as exc:
        logger.warning("refused a sandbox callback: %s", exc)
        return JsonResponse({"code": "invalid_signature", "detail": str(exc)}, status=401)
    except CallbackRejected as exc:
        logger.warning("refused a malformed sandbox callback: %s", exc)
        return JsonResponse({"code": "malformed_callback", "detail": str(exc)}, status=400)
    new = provider_events_store(rail="sandbox", events=events, source="callback")
    return JsonResponse({"received": len(events), "new": new})
