"""The demo superuser ``make run`` creates on a development machine, with a generated password
shown once (the database keeps only Django's hash of it)."""

from __future__ import annotations

import secrets

DEMO_USERNAME = "admin"
DEMO_EMAIL = "admin@example.com"


def ensure_demo_superuser() -> str | None:
    """Create the demo superuser unless a user of that name exists.

    Returns its generated password when it was created now, else None. The password is for
    the banner only: the database keeps Django's hash of it, and nothing else does.
    """
    from django.contrib.auth import get_user_model
    from django.db import IntegrityError, transaction

    user_model = get_user_model()
    if user_model.objects.filter(username=DEMO_USERNAME).exists():
        return None
    password = secrets.token_urlsafe(18)
    try:
        with transaction.atomic():
            user_model.objects.create_superuser(
                username=DEMO_USERNAME, email=DEMO_EMAIL, password=password
            )
    except IntegrityError:
        return None  # another launcher created it a moment ago
    return password


def demo_superuser_note() -> str:
    import django
    from django.conf import settings
    from django.db import connections

    if not settings.DEVELOPMENT:
        return "DEVELOPMENT is not set: no demo superuser was created"
    django.setup()
    try:
        password = ensure_demo_superuser()
    finally:
        connections.close_all()
    if password is not None:
        return (
            f"user {DEMO_USERNAME}, password {password} (generated now and shown only this once; "
            "only its hash is kept)"
        )
    return (
        f"user {DEMO_USERNAME} (it existed already; its password was shown when it was created: "
        f"make manage ARGS='changepassword {DEMO_USERNAME}' sets a new one)"
    )
