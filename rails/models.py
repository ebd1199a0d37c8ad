"""Routing data: which rails carry a payout of a country, currency and method type."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from rails.providers.registry import NoAdapter, rail_require

ANY = "*"


class Route(models.Model):
    """Country, currency and method type mapped to a rail, with its limits, cost and speed.

    ``*`` matches anything; the most specific active route wins, then the lowest ``priority``
    (the rails issue adds breakers and fallbacks over the same table)."""

    country = models.CharField(max_length=2, default=ANY)
    currency = models.CharField(max_length=3, default=ANY)
    method_type = models.CharField(max_length=32, default=ANY)
    rail = models.CharField(max_length=32)
    priority = models.PositiveIntegerField(default=100)
    speeds = models.JSONField(default=list)  # ["standard", "instant"]
    min_minor = models.BigIntegerField(default=1)
    max_minor = models.BigIntegerField(null=True, blank=True)
    cost_minor = models.BigIntegerField(default=0)  # what the rail charges us, per payout
    arrival_hours = models.JSONField(default=dict)  # {"standard": 24, "instant": 0}
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["country", "currency", "method_type", "rail"], name="rails_route_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country}/{self.currency}/{self.method_type} -> {self.rail}"

    def clean(self) -> None:
        """A route to a rail with no adapter is refused here (the admin shows it on the rail)
        rather than found out by the worker that submits the first payout."""
        super().clean()
        try:
            rail_require(self.rail)
        except NoAdapter as exc:
            raise ValidationError({"rail": exc.message}, code=exc.code) from exc
