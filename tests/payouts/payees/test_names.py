"""A payee's legal name is what the rails carry to the bank: at most 140 characters (ISO 20022's
Max140Text) and no bidirectional control characters, which make a name read differently on
screen from what it is. The rule holds for every caller of the services, not only the API."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from core.errors import InvalidInput
from payouts.payees.models import Payee
from payouts.payees.services import payee_create, payee_update
from payouts.platforms.models import Platform
from webhooks.models import Event

pytestmark = pytest.mark.django_db

BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))] + [
    "\u200e",
    "\u200f",
    "\u061c",
]


def _state(platform: Platform) -> tuple[object, ...]:
    return (
        list(Payee.objects.filter(platform=platform).values_list("id", "legal_name", "updated")),
        Event.objects.filter(platform=platform).count(),
    )


@pytest.mark.parametrize(
    "name",
    [f"Ada {control}Lovelace" for control in BIDI_CONTROLS] + ["A" * 141],
    ids=[f"U+{ord(c):04X}" for c in BIDI_CONTROLS] + ["141 characters"],
)
def test_a_name_the_rails_cannot_carry_is_refused_and_changes_nothing(
    platform: Platform, make_payee: Callable[..., Payee], name: str
) -> None:
    payee = make_payee("driver-17")
    before = _state(platform)
    with pytest.raises(InvalidInput) as created:
        payee_create(
            platform=platform, external_id="new-1", type="individual", legal_name=name, country="US"
        )
    with pytest.raises(InvalidInput) as updated:
        payee_update(platform=platform, payee_id=payee.id, legal_name=name)
    for error in (created.value, updated.value):
        assert error.details == {"field": "legal_name"}
    assert _state(platform) == before


def test_a_name_of_140_characters_is_kept_whole(platform: Platform) -> None:
    payee = payee_create(
        platform=platform,
        external_id="new-1",
        type="individual",
        legal_name="A" * 140,
        country="US",
    )
    assert Payee.objects.get(pk=payee.pk).legal_name == "A" * 140
