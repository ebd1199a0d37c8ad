"""Limits counted in Redis, each answered with 429 and ``Retry-After``:

- requests per API key, in one-second windows (``API_RATE_LIMIT_PER_S``, 0 turns it off);
- failed authentications per client address (``API_AUTH_FAILURES_PER_MIN``, 0 turns it off):
  past the limit within the minute that began with the address's first failure, every request
  it sends with a key is refused before the key is looked up, so guessing keys gets no answer
  either way. The address is ``REMOTE_ADDR``, never a header the client could vary.

Should Redis be unreachable, requests are let through (and a warning is logged): a limit
protects the service, and an outage of its counter must not stop payouts.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

import redis
from django.conf import settings
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from api import redis as api_redis
from api.auth import Caller

logger = logging.getLogger(__name__)

AUTH_FAILURE_WINDOW_S = 60


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
            logger.warning("rate limit counter unavailable; request allowed", exc_info=True)
            return True
        if count <= limit:
            return True
        self._wait = max(window + 1 - now, 0.001)
        return False

    def wait(self) -> float:
        return math.ceil(self._wait)


class TooManyFailedAuthentications(exceptions.Throttled):
    default_detail = "too many failed authentications from this address"
    default_code = "too_many_failed_authentications"


def auth_failures_key(address: str) -> str:
    """The Redis key that counts ``address``'s failed authentications."""
    return f"authfail:{address}"


def auth_failures_check(address: str) -> None:
    """Raise ``TooManyFailedAuthentications`` (429) while ``address`` is past its limit."""
    limit = int(settings.API_AUTH_FAILURES_PER_MIN)
    if limit <= 0:
        return
    try:
        pipe = api_redis.client().pipeline(transaction=False)
        pipe.get(auth_failures_key(address))
        pipe.ttl(auth_failures_key(address))
        count, ttl = pipe.execute()
    except redis.RedisError:
        logger.warning("failed-authentication counter unavailable; request allowed", exc_info=True)
        return
    if count is not None and int(count) >= limit:
        raise TooManyFailedAuthentications(wait=ttl if ttl > 0 else AUTH_FAILURE_WINDOW_S)


def auth_failure_record(address: str) -> None:
    """Count one failed authentication of ``address``; its window opens with its first."""
    if int(settings.API_AUTH_FAILURES_PER_MIN) <= 0:
        return
    name = auth_failures_key(address)
    try:
        # One transaction: the counter never exists without its expiry.
        pipe = api_redis.client().pipeline(transaction=True)
        pipe.set(name, 0, ex=AUTH_FAILURE_WINDOW_S, nx=True)
        pipe.incr(name)
        pipe.execute()
    except redis.RedisError:
        logger.warning("failed-authentication counter unavailable", exc_info=True)
