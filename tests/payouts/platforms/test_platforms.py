"""Platforms and API keys: the commands, hashed keys shown once, revocation."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from core.errors import DomainError
from ledger import selectors as ledger_selectors
from payouts.platforms.models import ApiKey, Platform
from payouts.platforms.services import api_key_authenticate

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> list[str]:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_create_platform_opens_its_book_and_prints_a_key_once() -> None:
    lines = run("create_platform", "Acme Gigs", "--currency", "USD", "--currency", "EUR")
    platform = Platform.objects.get(code="acme-gigs")
    assert platform.currencies == ["EUR", "USD"]
    secret = lines[-1]
    key = ApiKey.objects.get(platform=platform)
    # Only the hash is stored; the secret authenticates.
    assert key.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(ApiKey.objects.values_list().get(pk=key.pk))
    assert api_key_authenticate(secret=secret).platform == platform
    codes = {
        a.code for a in ledger_selectors.account_list(book_id=platform.book_id, currency="USD")
    }
    assert {"cash", "funding", "fees", "withholding", "suspense", "in_transit:sandbox"} <= codes
    with pytest.raises(CommandError, match="exists"):
        run("create_platform", "Acme Gigs")


def test_keys_are_created_and_revoked() -> None:
    run("create_platform", "Beta", "--currency", "USD")
    second = run("create_api_key", "beta", "--name", "ci")[-1]
    assert api_key_authenticate(secret=second).name == "ci"
    run("revoke_api_key", second[:15])
    for bad in (second, "", "sk_nothing", second[:-1] + "x", "x" * 500):
        with pytest.raises(DomainError) as caught:
            api_key_authenticate(secret=bad)
        assert caught.value.code == "invalid_api_key"
    with pytest.raises(CommandError):
        run("create_api_key", "no-such-platform")
    with pytest.raises(CommandError):
        run("revoke_api_key", "sk_000000000000")
