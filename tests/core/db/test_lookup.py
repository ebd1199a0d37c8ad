"""core.db.lookup.one_of against PostgreSQL: an id of another scope, of no row or of the wrong
shape all raise the caller's error, with the same message."""

from __future__ import annotations

import pytest
from django.utils import timezone

from core.db.lookup import one_of
from core.errors import NotFound
from payouts.outbox.models import OutboxMessage

pytestmark = pytest.mark.django_db


class MessageNotFound(NotFound):
    code = "message_not_found"


def test_the_object_of_the_narrowed_queryset() -> None:
    message = OutboxMessage.objects.create(kind="test.lookup", available_at=timezone.now())
    mine = OutboxMessage.objects.filter(kind="test.lookup")
    assert one_of(mine, message.pk, error=MessageNotFound, what="message") == message


@pytest.mark.parametrize("bad_id", ["outside", 10**12, 0, -1, True, "1", None, 1.0])
def test_anything_else_raises_the_callers_error(bad_id: object) -> None:
    outside = OutboxMessage.objects.create(kind="test.elsewhere", available_at=timezone.now())
    object_id = outside.pk if bad_id == "outside" else bad_id
    mine = OutboxMessage.objects.filter(kind="test.lookup")

    with pytest.raises(MessageNotFound) as caught:
        one_of(mine, object_id, error=MessageNotFound, what="message", field="message")

    assert caught.value.message == f"message {object_id} does not exist"
    assert caught.value.details == {"field": "message"}


def test_without_a_field_the_error_has_no_details() -> None:
    with pytest.raises(MessageNotFound) as caught:
        one_of(OutboxMessage.objects.all(), 10**12, error=MessageNotFound, what="message")
    assert caught.value.details == {}
