"""``manage.py rotate_encryption_keys``: after a new key is put in front of
FIELD_ENCRYPTION_KEYS, every payout method's values and every webhook endpoint's secrets are
re-encrypted under it, batch by batch, so that the older keys can be dropped. Running it again
changes nothing; a run stopped by a bad row keeps the batches it committed and a second run
finishes the rest. Tokens of the unbound format that came before binding are bound by the
migration, and refused by the rotation."""

from __future__ import annotations

import importlib
import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from core.crypto import DecryptionError, decrypt_json, encrypt_json
from payouts.payees.models import PayoutMethod
from payouts.payees.secrets import method_secret
from tests.factories import WebhookEndpointFactory
from tests.support.payouts import bank_method
from webhooks.endpoints import endpoint_secret_rotate, endpoint_secrets
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _under_only(key: str) -> dict[int, dict[str, str]]:
    """Every method's values, opened with ``key`` alone (raises if one needs another key)."""
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        return {m.id: method_secret(m) for m in PayoutMethod.objects.order_by("id")}


def _set_token(method_id: int, token: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE payouts_payoutmethod SET secret_encrypted = %s WHERE id = %s",
            [token, method_id],
        )


def test_every_secret_moves_to_the_newest_key_and_a_second_run_changes_nothing(
    platform, make_payee
) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        payee = make_payee()
        accounts = [f"0001234567{n:02d}" for n in range(12, 17)]
        methods = [bank_method(platform, payee, account) for account in accounts]
        endpoint = WebhookEndpointFactory.create(platform=platform)
        endpoint_secret_rotate(platform=platform, endpoint_id=endpoint.id, expires_in_s=3600)
        endpoint.refresh_from_db()
        secrets_before = endpoint_secrets(endpoint)
        before = _under_only(OLD)

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        output = _rotate("--batch-size", "2")
        assert "payout methods: 5 checked, 5 re-encrypted" in output
        assert "webhook endpoints: 1 checked, 1 re-encrypted" in output
        again = _rotate()
        assert "payout methods: 5 checked, 0 re-encrypted" in again
        assert "webhook endpoints: 1 checked, 0 re-encrypted" in again

    assert _under_only(NEW) == before
    assert [v["account_number"] for v in before.values()] == accounts
    assert [m.id for m in methods] == list(before)
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        assert endpoint_secrets(WebhookEndpoint.objects.get(pk=endpoint.pk)) == secrets_before


def test_a_run_stopped_by_a_bad_row_keeps_its_batches_and_the_next_run_finishes(
    platform, make_payee
) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        payee = make_payee()
        methods = [bank_method(platform, payee, f"0009876543{n:02d}") for n in range(10, 16)]
        before = _under_only(OLD)
    lost_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[lost_key]):
        _set_token(methods[4].id, encrypt_json({"account_number": "x"}))  # under a lost key

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        with pytest.raises(CommandError, match=f"payout method {methods[4].id}"):
            _rotate("--batch-size", "2")
        # The first two batches were committed; the failed one changed nothing.
        with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
            for method in methods[:4]:
                method_secret(PayoutMethod.objects.get(pk=method.pk))
        with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
            last = PayoutMethod.objects.get(pk=methods[5].pk)
            assert method_secret(last) == before[last.id]

        _set_token(methods[4].id, PayoutMethod.objects.get(pk=methods[3].pk).secret_encrypted)
        with pytest.raises(CommandError, match="another row"):
            _rotate("--batch-size", "2")  # a token copied from another row is refused too
        with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
            from payouts.payees.secrets import method_secret_seal

            _set_token(methods[4].id, method_secret_seal(methods[4].id, before[methods[4].id]))
        output = _rotate("--batch-size", "2")
        assert "payout methods: 6 checked, 2 re-encrypted" in output
    assert _under_only(NEW) == before


def test_the_migration_binds_tokens_of_the_unbound_format_and_rotation_refuses_them(
    platform, make_payee
) -> None:
    from django.apps import apps

    migration = importlib.import_module("payouts.migrations.0010_bind_payout_method_secrets")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        payee = make_payee()
        methods = [bank_method(platform, payee, f"0001234567{n}") for n in (12, 13)]
        before = _under_only(NEW)
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD]):
        for method in methods:  # as stored before tokens were bound
            _set_token(method.id, encrypt_json(before[method.id]))
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW, OLD]):
        with pytest.raises(DecryptionError, match="not bound"):
            method_secret(PayoutMethod.objects.get(pk=methods[0].pk))
        with pytest.raises(CommandError, match="not bound"):
            _rotate()

        with connection.schema_editor() as editor:
            migration.bind(apps, editor)
    assert _under_only(NEW) == before

    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW]):
        with connection.schema_editor() as editor:
            migration.unbind(apps, editor)
        for method in methods:
            token = PayoutMethod.objects.get(pk=method.pk).secret_encrypted
            assert decrypt_json(token) == before[method.id]
