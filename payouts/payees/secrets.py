"""A payout method's sensitive values, encrypted at rest and bound to the method's row.

Each method's token is a ``core.crypto`` token whose context is the method's table and id
(:func:`method_context`), so a token copied onto another method does not open there: nobody who
can write the table but lacks the key can redirect a payee's payouts to an account of their own
by copying its token. The id is taken before the insert (``core.db.ids``) so the token is written
with the row. Tokens stored before binding existed are bound by the payouts migration
``0010_bind_payout_method_secrets``; after it, an unbound token on a method is refused like
another row's, by :func:`method_secret` and by :func:`methods_reseal` (``manage.py
rotate_encryption_keys``) alike, so that a row written by hand cannot be made valid by a rotation.
"""

from __future__ import annotations

from core.crypto import decrypt_json, encrypt_json
from core.resealing import ResealBatch, rows_reseal
from payouts.payees.models import PayoutMethod


def method_context(method_id: int) -> str:
    """The context a method's token is bound to: its table and id."""
    return f"{PayoutMethod._meta.db_table}:{method_id}"


def method_secret_seal(method_id: int, values: dict[str, str]) -> str:
    """The token to store as method ``method_id``'s ``secret_encrypted``."""
    return encrypt_json(values, context=method_context(method_id))


def method_secret(method: PayoutMethod) -> dict[str, str]:
    """The method's sensitive values. Raises ``core.crypto.DecryptionError`` when its token is
    another row's, unbound, or under no configured key: never a domain error, since it means
    tampered data or a lost key."""
    return decrypt_json(method.secret_encrypted, context=method_context(method.pk))


def methods_reseal(*, after_id: int, limit: int) -> ResealBatch:
    """Re-encrypt under the newest key the token of each of the next ``limit`` methods by id
    after ``after_id`` (``core.resealing.rows_reseal``: one transaction, idempotent, resumable).
    Raises ``ResealFailed`` for a token that does not open on its row, unbound ones included."""
    return rows_reseal(
        PayoutMethod,
        fields=["secret_encrypted"],
        context=method_context,
        after_id=after_id,
        limit=limit,
        what="payout method",
    )


def methods_count() -> int:
    """How many methods :func:`methods_reseal` walks (a progress bar's total)."""
    return PayoutMethod.objects.count()
