"""A request limit per API key, counted in Redis in one-second windows. Past it: 429 with
``Retry-After``. ``API_RATE_LIMIT_PER_S`` sets it (0 turns it off)."""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import redis
from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api import redis as api_redis
from api.auth import Caller

logger = logging.getLogger(__name__)


class PerKeyRateThrottle(BaseThrottle):
    def __init__(self) -> None:
        self._wait = 0.0

    def allow_request(self, request: Request, view: Any) -> bool:
        limit = int(settings.API_RATE_LIMIT_PER_S)
        caller = request.user
        if limit <= 0 or not isinstance(caller, Caller):
            return True
        now = time.time()
        window = int(now)
        name = f"ratelimit:{caller.api_key.id}:{window}"
        try:
            pipe = api_redis.client().pipeline(transaction=False)
            pipe.incr(name)
            pipe.expire(name, 2)
            count = int(pipe.execute()[0])
        except redis.RedisError:
            # A rate limit protects the service; an outage of its counter must not stop payouts.
            logger.warning("rate limit counter unavailable; request allowed", exc_info=True)
            return True
        if count <= limit:
            return True
        self._wait = max(window + 1 - now, 0.001)
        return False

    def wait(self) -> float:
        return math.ceil(self._wait)
