"""Encryption at rest for sensitive values (account numbers, IBANs, card tokens, local-rail ids).

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, authenticated, timestamped)
under ``settings.FIELD_ENCRYPTION_KEYS``, a list of Fernet keys, newest first: the first key
encrypts, every key decrypts, and :func:`rotate` re-encrypts an old token under the first key. To
rotate, put a new key in front, run :func:`rotate` over the stored tokens, then drop the old key.

Without configured keys (development and tests only: production refuses to start without them),
one key is derived from ``SECRET_KEY``, so changing ``SECRET_KEY`` there makes old tokens
unreadable.

:func:`fingerprint` lets duplicates be found without decrypting. It is keyed by the first
encryption key, so it is *not* stable across rotation: after a new key is put in front, stored
fingerprints must be recomputed from the decrypted values, or a duplicate of an older method
goes unnoticed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

# Labels separate the uses of one secret, so the derived keys never coincide.
_DERIVED_KEY_LABEL = b"payouts/core.crypto/field-encryption/v1\x00"
_FINGERPRINT_LABEL = b"payouts/core.crypto/fingerprint/v1\x00"


class DecryptionError(Exception):
    """A token that none of the configured keys opens, or that does not hold our JSON.

    Not a domain error: every token we store was written by :func:`encrypt_json`, so this means
    a lost key, a wrong configuration or tampered data, and must crash loudly.
    """


@lru_cache(maxsize=4)
def _derived_key(secret_key: str) -> str:
    digest = hashlib.sha256(_DERIVED_KEY_LABEL + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def _keys() -> tuple[str, ...]:
    # Read on every call (not at import) so override_settings and a reloaded config take effect;
    # the expensive part is cached by the key tuple below.
    configured = tuple(settings.FIELD_ENCRYPTION_KEYS)
    return configured or (_derived_key(settings.SECRET_KEY),)


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    # A malformed key raises ValueError here: a configuration error that must stop the caller.
    return MultiFernet([Fernet(key) for key in keys])


@lru_cache(maxsize=8)
def _fingerprint_key(first_key: str) -> bytes:
    return hashlib.sha256(_FINGERPRINT_LABEL + first_key.encode()).digest()


def encrypt_json(values: dict[str, str]) -> str:
    """Encrypt a flat ``{name: value}`` mapping under the newest key; returns a Fernet token.

    Tokens differ on every call even for equal input (random IV and timestamp), so they cannot
    be compared: use :func:`fingerprint` for that. Never raises for a dict of strings.
    """
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in values.items()), (
        "encrypt_json takes a dict of strings"
    )
    payload = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return _multi_fernet(_keys()).encrypt(payload.encode()).decode("ascii")


def _ascii(token: str) -> bytes:
    # Fernet raises a bare ValueError, not InvalidToken, for a non-ASCII str.
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        raise DecryptionError("a Fernet token is ASCII") from None


def decrypt_json(token: str) -> dict[str, str]:
    """The mapping that :func:`encrypt_json` encrypted into ``token``, under any configured key.

    Raises :class:`DecryptionError` if no key opens the token (wrong key, tampered or truncated
    token) or the plaintext is not a JSON object of strings.
    """
    try:
        plaintext = _multi_fernet(_keys()).decrypt(_ascii(token))
    except InvalidToken as error:
        raise DecryptionError("no configured key decrypts this token") from error
    try:
        values = json.loads(plaintext)
    except ValueError as error:
        raise DecryptionError("the decrypted token does not hold JSON") from error
    if not (
        isinstance(values, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in values.items())
    ):
        raise DecryptionError("the decrypted token does not hold a JSON object of strings")
    return values


def rotate(token: str) -> str:
    """``token`` re-encrypted under the newest key (its original timestamp is kept).

    Raises :class:`DecryptionError` if no configured key opens it.
    """
    try:
        return _multi_fernet(_keys()).rotate(_ascii(token)).decode("ascii")
    except InvalidToken as error:
        raise DecryptionError("no configured key decrypts this token") from error


def fingerprint(value: str) -> str:
    """Keyed HMAC-SHA256 (64 hex characters) of an already canonical value.

    Equal values give equal fingerprints under the same first key, so a duplicate (the same
    IBAN on two payees, say) is found with an index lookup; without the key, a fingerprint does
    not let anyone test guesses of a short value such as an account number. The value is hashed
    exactly as given: canonicalise first (``ValidatedMethod.fingerprint_source``). Changes when a
    new first key is rotated in (see the module docstring). Never raises.
    """
    key = _fingerprint_key(_keys()[0])
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()
