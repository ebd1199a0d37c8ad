"""Encryption at rest: round trips, key rotation, wrong keys and fingerprints (no database)."""

from __future__ import annotations

import base64
import re

import pytest
from cryptography.fernet import Fernet
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from core import crypto
from core.crypto import (
    DecryptionError,
    decrypt_json,
    encrypt_json,
    fingerprint,
    reseal,
    rotate,
)

SECRET = {"iban": "DE89370400440532013000", "holder": "Zoë Ünal"}


def new_key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def key() -> str:
    return new_key()


def test_round_trip_under_a_configured_key(key: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        token = encrypt_json(SECRET)
        assert decrypt_json(token) == SECRET
    # Only that key opens it.
    assert Fernet(key).decrypt(token.encode()) == (
        b'{"holder":"Zo\xc3\xab \xc3\x9cnal","iban":"DE89370400440532013000"}'
    )


def test_round_trip_under_the_key_derived_from_secret_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        assert decrypt_json(encrypt_json(SECRET)) == SECRET
        assert decrypt_json(encrypt_json({})) == {}


@given(values=st.dictionaries(st.text(), st.text(), max_size=5))
def test_any_mapping_of_strings_round_trips(values: dict[str, str]) -> None:
    assert decrypt_json(encrypt_json(values)) == values


def test_the_token_shows_nothing_of_the_plaintext(key: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        token = encrypt_json(SECRET)
        again = encrypt_json(SECRET)
    padded = token + "=" * (-len(token) % 4)
    raw = base64.urlsafe_b64decode(padded)
    for shown in (token, raw.decode("latin-1")):
        assert "DE89370400440532013000" not in shown
        assert "0532013000" not in shown
        assert "iban" not in shown
    # A fresh IV each time: equal plaintexts cannot be matched by their tokens.
    assert token != again


def test_a_token_written_under_an_old_key_is_read_and_rotated_to_the_new_one() -> None:
    old, new = new_key(), new_key()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        old_token = encrypt_json(SECRET)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        assert decrypt_json(old_token) == SECRET
        new_token = rotate(old_token)
        assert new_token != old_token
        # New tokens are written under the first key.
        fresh = encrypt_json(SECRET)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert decrypt_json(new_token) == SECRET
        assert decrypt_json(fresh) == SECRET
        with pytest.raises(DecryptionError):
            decrypt_json(old_token)
    assert Fernet(new).decrypt(new_token.encode()) == Fernet(old).decrypt(old_token.encode())


def test_a_wrong_key_raises_decryption_error() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key()]):
        token = encrypt_json(SECRET)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key()]):
        with pytest.raises(DecryptionError, match="no configured key") as caught:
            decrypt_json(token)
        with pytest.raises(DecryptionError):
            rotate(token)
    assert "DE89" not in str(caught.value)


def test_changing_secret_key_loses_tokens_written_under_the_derived_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[], SECRET_KEY="one-secret-key-" * 4):
        token = encrypt_json(SECRET)
    with override_settings(FIELD_ENCRYPTION_KEYS=[], SECRET_KEY="another-secret-" * 4):
        with pytest.raises(DecryptionError):
            decrypt_json(token)


@pytest.mark.parametrize(
    "token",
    ["", "not a token", "gAAAAAB" + "A" * 100, "gAAAAABé", "DE89370400440532013000"],
)
def test_garbage_raises_decryption_error(token: str) -> None:
    with pytest.raises(DecryptionError):
        decrypt_json(token)


def test_a_tampered_token_raises_decryption_error(key: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        token = encrypt_json(SECRET)
        raw = bytearray(base64.urlsafe_b64decode(token))
        raw[40] ^= 1
        with pytest.raises(DecryptionError):
            decrypt_json(base64.urlsafe_b64encode(bytes(raw)).decode())


@pytest.mark.parametrize("plaintext", [b"not json", b"[1, 2]", b'{"a": 1}', b"\xff\xfe"])
def test_a_token_that_does_not_hold_our_json_raises_decryption_error(
    key: str, plaintext: bytes
) -> None:
    token = Fernet(key).encrypt(plaintext).decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        with pytest.raises(DecryptionError, match="does not hold"):
            decrypt_json(token)


def test_fingerprint_is_deterministic_and_tells_values_apart(key: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        first = fingerprint("iban:DE89370400440532013000")
        assert fingerprint("iban:DE89370400440532013000") == first
        assert fingerprint("iban:DE89370400440532013001") != first
        assert fingerprint("") != first
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert "DE89" not in first


def test_fingerprint_depends_on_the_first_key_only(key: str) -> None:
    value = "us_bank_account:021000021:000123456789"
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        alone = fingerprint(value)
    with override_settings(FIELD_ENCRYPTION_KEYS=[key, new_key()]):
        assert fingerprint(value) == alone
    # Documented: rotating a new key in front changes every fingerprint.
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key(), key]):
        assert fingerprint(value) != alone
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        assert fingerprint(value) != alone


def test_the_multi_fernet_is_built_once_per_key_set(key: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        encrypt_json(SECRET)
        before = crypto._multi_fernet.cache_info()
        decrypt_json(encrypt_json(SECRET))
        after = crypto._multi_fernet.cache_info()
    assert after.misses == before.misses
    assert after.hits == before.hits + 2


def test_a_token_bound_to_one_row_opens_there_only(key: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        token = encrypt_json(SECRET, context="payouts_payoutmethod:7")
        assert decrypt_json(token, context="payouts_payoutmethod:7") == SECRET
        for elsewhere in ("payouts_payoutmethod:8", "payouts_payoutmethod:70", "other:7"):
            with pytest.raises(DecryptionError, match="another row"):
                decrypt_json(token, context=elsewhere)
        # Nor where an unbound token is expected.
        with pytest.raises(DecryptionError):
            decrypt_json(token)


def test_an_unbound_token_does_not_open_where_a_bound_one_is_expected(key: str) -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[key]):
        with pytest.raises(DecryptionError, match="not bound"):
            decrypt_json(encrypt_json(SECRET), context="payouts_payoutmethod:7")


@given(values=st.dictionaries(st.text(), st.text(), max_size=5), row=st.integers(1, 2**63 - 1))
def test_any_mapping_bound_to_any_row_round_trips(values: dict[str, str], row: int) -> None:
    context = f"payouts_payoutmethod:{row}"
    assert decrypt_json(encrypt_json(values, context=context), context=context) == values


def test_reseal_moves_a_token_to_the_newest_key_and_binds_it_once() -> None:
    old, new = new_key(), new_key()
    context = "payouts_payoutmethod:7"
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        legacy = encrypt_json(SECRET)
        bound_old = encrypt_json(SECRET, context=context)
        assert reseal(bound_old, context=context) is None  # already current
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        # An unbound token is bound only when the caller says it may be one (a migration).
        with pytest.raises(DecryptionError):
            reseal(legacy, context=context)
        from_legacy = reseal(legacy, context=context, accept_unbound=True)
        from_bound = reseal(bound_old, context=context)
        assert from_legacy is not None and from_bound is not None
        assert reseal(from_legacy, context=context) is None
        assert reseal(from_bound, context=context, accept_unbound=True) is None
        # Unbound tokens (context None) stay unbound, under the newest key.
        unbound = reseal(legacy, context=None)
        assert unbound is not None and reseal(unbound, context=None) is None
        with pytest.raises(DecryptionError):
            reseal(bound_old, context="payouts_payoutmethod:8")
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert decrypt_json(from_legacy, context=context) == SECRET
        assert decrypt_json(from_bound, context=context) == SECRET
        assert decrypt_json(unbound) == SECRET
