"""Re-encrypting the tokens a table stores under the newest key, a batch of rows at a time
(``manage.py rotate_encryption_keys``: after a new key is put in front of FIELD_ENCRYPTION_KEYS,
so that the older ones can be dropped)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import models, transaction

from core.crypto import DecryptionError, reseal


@dataclass(frozen=True)
class ResealBatch:
    checked: int  # rows
    rewritten: int  # rows with at least one token written again
    last_id: int | None  # None: no row after the given id


class ResealFailed(Exception):
    """A token that cannot be re-encrypted; the batch it was in changed nothing."""

    def __init__(self, what: str, row_id: int, reason: str) -> None:
        super().__init__(f"{what} {row_id}: {reason}")
        self.row_id = row_id


def rows_reseal(
    model: type[models.Model],
    *,
    fields: Sequence[str],
    context: Callable[[int], str | None],
    after_id: int,
    limit: int,
    what: str,
) -> ResealBatch:
    """Re-encrypt under the newest key the tokens in ``fields`` of the next ``limit`` rows by id
    after ``after_id``, each bound to ``context(row id)`` as it must already be (None: unbound);
    an empty field is left empty. One transaction, the rows locked (``FOR NO KEY UPDATE``), so a
    writer of the same row waits and nothing it writes is lost.

    Idempotent: a token already under the newest key is left as it is, so a second run writes
    nothing, and a run stopped anywhere resumes from the last id it reported. Raises
    :class:`ResealFailed` (naming ``what`` and the row) for a token no configured key opens or
    bound to another context; nothing of that batch is written.
    """
    with transaction.atomic():
        rows = list(
            model._default_manager.select_for_update(no_key=True)
            .filter(pk__gt=after_id)
            .order_by("pk")
            .only("pk", *fields)[:limit]
        )
        changed = []
        for row in rows:
            is_changed = False
            for field in fields:
                token = getattr(row, field)
                if not token:
                    continue
                try:
                    fresh = reseal(token, context=context(row.pk))
                except DecryptionError as error:
                    raise ResealFailed(what, row.pk, str(error)) from None
                if fresh is not None:
                    setattr(row, field, fresh)
                    is_changed = True
            if is_changed:
                changed.append(row)
        model._default_manager.bulk_update(changed, list(fields))
    return ResealBatch(
        checked=len(rows), rewritten=len(changed), last_id=rows[-1].pk if rows else None
    )
