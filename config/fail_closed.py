"""What the settings refuse at start-up, so that a deployment that forgot a value never runs.

The settings collect every problem first and raise once (:func:`refuse`), naming each variable,
so one failed start-up tells the operator everything to fix rather than one thing at a time.
"""

from __future__ import annotations

import binascii
import secrets

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

# The fixed key earlier versions used when SECRET_KEY was unset, and Django's own marker for the
# keys startproject writes: both are public, so neither ever signs anything with DEBUG off.
KNOWN_INSECURE_KEYS = frozenset({"insecure-local-development-key-only"})
INSECURE_PREFIX = "django-insecure-"
# Django's own bar for a key (the security.W009 check): long and not made of a few characters.
MIN_SECRET_KEY_LENGTH = 50
MIN_SECRET_KEY_UNIQUE_CHARACTERS = 5


def development_secret_key() -> str:
    """A key made up for this process when a development machine sets none.

    Never a fixed one, which anyone could read here. Processes that must agree on it (``make
    run``'s children, the tests' workers) are given one by whoever starts them.
    """
    return secrets.token_urlsafe(MIN_SECRET_KEY_LENGTH)


def secret_key_problem(key: str, *, development: bool, debug: bool) -> str | None:
    """Why ``key`` may not be used, or None."""
    if not key:
        return "SECRET_KEY must be set (a random string of 50 characters or more)"
    if not debug and (key in KNOWN_INSECURE_KEYS or key.startswith(INSECURE_PREFIX)):
        return "SECRET_KEY is a published development key: it is refused when DEBUG is off"
    if not development and (
        len(key) < MIN_SECRET_KEY_LENGTH or len(set(key)) < MIN_SECRET_KEY_UNIQUE_CHARACTERS
    ):
        return (
            f"SECRET_KEY is too weak: at least {MIN_SECRET_KEY_LENGTH} characters, not made of a "
            "few repeated ones"
        )
    return None


def fernet_key_problems(keys: list[str]) -> list[str]:
    """One problem per entry of FIELD_ENCRYPTION_KEYS that is not a Fernet key."""
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, binascii.Error):
            problems.append(
                f"FIELD_ENCRYPTION_KEYS: entry {position} is not a Fernet key (32 url-safe "
                "base64-encoded bytes, as Fernet.generate_key() makes)"
            )
    return problems


def refuse(problems: list[str]) -> None:
    """Stop start-up with every problem at once, if there is any."""
    if problems:
        lines = "\n".join(f"  - {problem}" for problem in problems)
        raise ImproperlyConfigured(
            "the configuration is refused:\n"
            f"{lines}\n"
            "Outside DEVELOPMENT=true (a development machine: make run, the tests and CI set it) "
            "every secret and ALLOWED_HOSTS must be given; see .env.example."
        )
