"""The development stack listens on the loopback interface only, and its admin user gets a
generated password, shown once and kept only as a hash."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from config import demo_admin, stack


def _option(args: list[str], name: str) -> str:
    return args[args.index(name) + 1]


def test_every_server_of_the_stack_binds_to_loopback() -> None:
    specs = dict(stack._child_specs(8123))
    assert _option(specs["web"], "--bind") == "127.0.0.1:8123"
    assert _option(specs["sandbox"], "--host") == "127.0.0.1"


@pytest.mark.django_db
def test_the_admin_password_is_generated_shown_once_and_stored_hashed() -> None:
    password = demo_admin.ensure_demo_superuser()

    assert isinstance(password, str)
    assert password != "admin"
    assert len(password) >= 20
    user = get_user_model().objects.get(username=demo_admin.DEMO_USERNAME)
    assert user.is_superuser
    assert user.check_password(password)
    assert not user.check_password("admin")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM auth_user")
        stored = repr(cursor.fetchall())
    assert password not in stored
    # A second run finds the user and neither shows nor changes its password.
    assert demo_admin.ensure_demo_superuser() is None
    user.refresh_from_db()
    assert user.check_password(password)


@pytest.mark.django_db
def test_each_stack_gets_its_own_admin_password() -> None:
    first = demo_admin.ensure_demo_superuser()
    get_user_model().objects.all().delete()
    assert demo_admin.ensure_demo_superuser() not in {None, first}
