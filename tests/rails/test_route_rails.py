"""A route to a rail with no adapter is refused when it is saved, by the admin and by the
service, so no worker ever meets a rail it cannot speak to."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import DomainError
from rails.models import Route
from rails.providers.registry import NoAdapter
from rails.routing import route_create

pytestmark = pytest.mark.django_db

FORM = {
    "country": "BR",
    "currency": "BRL",
    "method_type": "pix",
    "priority": "50",
    "speeds": '["standard"]',
    "min_minor": "1",
    "max_minor": "",
    "cost_minor": "0",
    "arrival_hours": '{"standard": 24}',
    "is_active": "on",
}


def test_the_admin_refuses_a_route_to_a_rail_with_no_adapter(admin_client: Client) -> None:
    response = admin_client.post(reverse("admin:rails_route_add"), {**FORM, "rail": "pix_direct"})

    assert response.status_code == 200  # the form again, with its errors
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["rail"]
    assert "no adapter for rail 'pix_direct'" in errors["rail"][0]
    assert not Route.objects.filter(rail="pix_direct").exists()


def test_the_admin_saves_a_route_to_a_rail_with_an_adapter(admin_client: Client) -> None:
    response = admin_client.post(reverse("admin:rails_route_add"), {**FORM, "rail": "sandbox"})

    assert response.status_code == 302
    route = Route.objects.get(country="BR", currency="BRL", method_type="pix", rail="sandbox")
    assert (route.priority, route.speeds, route.arrival_hours) == (
        50,
        ["standard"],
        {"standard": 24},
    )


def test_the_admin_refuses_changing_a_route_to_a_rail_with_no_adapter(
    admin_client: Client,
) -> None:
    route = route_create(rail="sandbox", country="BR", currency="BRL", method_type="pix")
    url = reverse("admin:rails_route_change", args=[route.pk])

    response = admin_client.post(url, {**FORM, "rail": "nowhere"})

    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["rail"]
    route.refresh_from_db()
    assert route.rail == "sandbox"


def test_route_create_refuses_a_rail_with_no_adapter_and_writes_nothing() -> None:
    before = Route.objects.count()

    with pytest.raises(NoAdapter) as raised:
        route_create(rail="pix_direct", country="BR", currency="BRL", method_type="pix")

    assert isinstance(raised.value, DomainError)
    assert raised.value.code == "no_adapter"
    assert raised.value.details == {"rail": "pix_direct"}
    assert Route.objects.count() == before


def test_route_create_saves_a_route_to_a_rail_with_an_adapter() -> None:
    route = route_create(
        rail="sandbox", country="MX", currency="MXN", method_type="clabe", speeds=["standard"]
    )

    assert Route.objects.get(pk=route.pk).rail == "sandbox"
