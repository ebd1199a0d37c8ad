"""Reads of platforms."""

from __future__ import annotations

from dataclasses import dataclass

from core.db import rows
from payouts.common.errors import PlatformNotFound
from payouts.platforms.models import Platform, Threshold, ThresholdKind


def platform_get(*, code: str) -> Platform:
    platform = Platform.objects.filter(code=code).first()
    if platform is None:
        raise PlatformNotFound(f"no platform with code {code}", code=code)
    return platform


@dataclass(frozen=True)
class Thresholds:
    """A platform's approval and review thresholds, in minor units by (kind, currency). A
    currency with none needs no approval (or review)."""

    minor: dict[tuple[str, str], int]

    def _at_or_above(self, kind: str, currency: str, amount_minor: int) -> bool:
        threshold = self.minor.get((kind, currency))
        return threshold is not None and amount_minor >= threshold

    def requires_approval(self, currency: str, amount_minor: int) -> bool:
        return self._at_or_above(ThresholdKind.APPROVAL, currency, amount_minor)

    def requires_review(self, currency: str, amount_minor: int) -> bool:
        return self._at_or_above(ThresholdKind.REVIEW, currency, amount_minor)


def thresholds_get(*, platform_id: int) -> Thresholds:
    """Every threshold of the platform, in one query (on the path of every payout created)."""
    found = rows.select(Threshold, "platform_id = %s", [platform_id])
    return Thresholds({(t.kind, t.currency): t.amount_minor for t in found})
