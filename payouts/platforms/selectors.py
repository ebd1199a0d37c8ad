"""Reads of platforms."""

from __future__ import annotations

from payouts.common.errors import PlatformNotFound
from payouts.platforms.models import Platform


def platform_get(*, code: str) -> Platform:
    platform = Platform.objects.filter(code=code).first()
    if platform is None:
        raise PlatformNotFound(f"no platform with code {code}", code=code)
    return platform
