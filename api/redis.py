"""One shared Redis client for the API (rate limits)."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


def redis_py_url(url: str) -> str:
    """The broker URL as redis-py spells it: kombu's ``redis+socket://`` is ``unix://``."""
    prefix = "redis+socket://"
    return "unix://" + url.removeprefix(prefix) if url.startswith(prefix) else url


@cache
def client() -> redis.Redis:
    return redis.Redis.from_url(
        redis_py_url(str(settings.REDIS_URL)), socket_timeout=2, socket_connect_timeout=2
    )
