"""Finding one object by the id a caller gave, the same way everywhere."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models

from core.errors import NotFound

ModelT = TypeVar("ModelT", bound=models.Model)


def one_of(
    queryset: models.QuerySet[ModelT],
    object_id: object,
    *,
    error: type[NotFound],
    what: str,
    field: str = "",
) -> ModelT:
    """The object with this id in ``queryset`` (already narrowed to the caller's platform, and
    locked if the caller wants). An id of another platform, of no object or of the wrong shape
    all raise ``error``, so a caller learns nothing about other platforms."""
    found = (
        queryset.filter(pk=object_id).first()
        if isinstance(object_id, int) and not isinstance(object_id, bool) and object_id > 0
        else None
    )
    if found is None:
        details: dict[str, Any] = {"field": field} if field else {}
        raise error(f"{what} {object_id} does not exist", **details)
    return found


def narrowed(queryset: models.QuerySet[ModelT], **lookups: object) -> models.QuerySet[ModelT]:
    """``queryset`` filtered by each of ``lookups`` whose value is given (not None): the list
    filters of a selector, such as ``created__gte=created_gte``."""
    return queryset.filter(**{name: value for name, value in lookups.items() if value is not None})
