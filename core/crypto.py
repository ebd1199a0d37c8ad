"""Encryption at rest for sensitive values (account numbers, IBANs, card tokens, local-rail ids).

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, authenticated, timestamped)
under ``settings.FIELD_ENCRYPTION_KEYS``, a list of Fernet keys, newest first: the first key
encrypts, every key decrypts. To rotate, put a new key in front, re-encrypt the stored tokens
under it (``manage.py rotate_encryption_keys``, which calls :func:`reseal` on each), then drop
the old key.

**A token bound to its row.** Fernet authenticates the whole plaintext but takes no associated
data, so the binding is carried inside it: a bound token's plaintext is
``{"ctx": <context>, "v": {<values>}}``, where the context names the row that stores it
(``payouts_payoutmethod:42``: its table and id). :func:`decrypt_json` is told the context of the
row it reads and refuses a token whose context differs, so a token copied onto another row (one
payee's bank account onto another's method, say) does not open there, and a forged context
cannot be written without the key. The context needs the row's id before the token is written:
callers reserve it first (``core.db.ids.ids_reserve``). Tokens written before binding existed
hold the values alone (a flat object of strings, which a bound plaintext can never be, since its
``"v"`` is an object): they open only where the caller passes no context, or in :func:`reseal`
when it is told that such a token may be stored there (the migration that binds them does).

Without configured keys (development and tests only: elsewhere the settings refuse to start
without them), one key is derived from ``SECRET_KEY``, so changing ``SECRET_KEY`` there makes old
tokens unreadable.

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


def _plaintext(values: dict[str, str], context: str | None) -> bytes:
    assert _is_flat(values), "encrypt_json takes a dict of strings"
    payload: object = values if context is None else {"ctx": context, "v": values}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _is_flat(values: object) -> bool:
    return isinstance(values, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in values.items()
    )


def encrypt_json(values: dict[str, str], *, context: str | None = None) -> str:
    """Encrypt a flat ``{name: value}`` mapping under the newest key; returns a Fernet token.

    With ``context`` (the storing row's, see the module docstring) the token opens only where
    that same context is given. Tokens differ on every call even for equal input (random IV and
    timestamp), so they cannot be compared: use :func:`fingerprint` for that. Never raises for a
    dict of strings.
    """
    return _multi_fernet(_keys()).encrypt(_plaintext(values, context)).decode("ascii")


def _ascii(token: str) -> bytes:
    # Fernet raises a bare ValueError, not InvalidToken, for a non-ASCII str.
    try:
        return token.encode("ascii")
    except UnicodeEncodeError:
        raise DecryptionError("a Fernet token is ASCII") from None


def _open(token: str, keys: tuple[str, ...]) -> tuple[str | None, dict[str, str]]:
    """(the token's context, None if unbound; its values). Raises :class:`DecryptionError`."""
    try:
        plaintext = _multi_fernet(keys).decrypt(_ascii(token))
    except InvalidToken as error:
        raise DecryptionError("no configured key decrypts this token") from error
    try:
        payload = json.loads(plaintext)
    except ValueError as error:
        raise DecryptionError("the decrypted token does not hold JSON") from error
    if _is_flat(payload):
        return None, payload
    if (
        isinstance(payload, dict)
        and payload.keys() == {"ctx", "v"}
        and isinstance(payload["ctx"], str)
        and _is_flat(payload["v"])
    ):
        return payload["ctx"], payload["v"]
    raise DecryptionError("the decrypted token does not hold a JSON object of strings")


def _check_context(found: str | None, expected: str | None, *, accept_unbound: bool) -> None:
    if found == expected or (found is None and accept_unbound):
        return
    if found is None:
        raise DecryptionError("this token is not bound to a row, and this row expects one")
    if expected is None:
        raise DecryptionError("this token is bound to a row, and unbound values were expected")
    raise DecryptionError("this token belongs to another row")


def decrypt_json(token: str, *, context: str | None = None) -> dict[str, str]:
    """The mapping that :func:`encrypt_json` encrypted into ``token``, under any configured key.

    ``context`` is the reading row's: a token bound to another row, or not bound at all, is
    refused; without it only an unbound token opens. Raises :class:`DecryptionError` if no key
    opens the token (wrong key, tampered or truncated token), the plaintext is not a JSON object
    of strings, or the context differs (the error says so, never the values).
    """
    found, values = _open(token, _keys())
    _check_context(found, context, accept_unbound=False)
    return values


def reseal(token: str, *, context: str | None, accept_unbound: bool = False) -> str | None:
    """``token`` re-encrypted under the newest key and bound to ``context`` (None: unbound), or
    None when it already is both, so that a rotation can skip it and be run again.

    ``accept_unbound`` lets an unbound token be bound to ``context``: only for rows that held
    tokens from before binding (a migration, the rotation). Raises :class:`DecryptionError` as
    :func:`decrypt_json` does, for a token of another row too.
    """
    keys = _keys()
    found, values = _open(token, keys)
    _check_context(found, context, accept_unbound=accept_unbound)
    if found == context:
        try:
            _multi_fernet(keys[:1]).decrypt(_ascii(token))
        except InvalidToken:
            pass  # under an older key: re-encrypt below
        else:
            return None
    return encrypt_json(values, context=context)


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
