"""Small helpers shared by the mixins: the uniform not-found error, upserts with an ORM fallback."""

from typing import Any, Dict, Optional, Type

from django.db import models

from bamboo_engine.exceptions import NotFoundError
from pipeline.eri.imp import _sql


def not_found(what: str, key: Any) -> NotFoundError:
    """A uniform ``NotFoundError`` naming the missing row."""
    return NotFoundError(f"{what}({key}) does not exist")


def upsert(
    model: Type[models.Model],
    lookup: Dict[str, Any],
    values: Dict[str, Any],
    create_defaults: Optional[Dict[str, Any]] = None,
) -> None:
    """Update the row matching ``lookup`` (a unique key of ``model``) with ``values``, or create it.

    One ``INSERT ... ON DUPLICATE KEY UPDATE`` / ``ON CONFLICT DO UPDATE`` statement on MySQL, SQLite and
    PostgreSQL. Elsewhere an UPDATE, then an INSERT only when it matched nothing; a concurrent insert of
    the same key is retried as an update. ``create_defaults`` completes the row when it is created.
    """
    row = {**lookup, **(create_defaults or {}), **values}
    if _sql.upsert(model, tuple(lookup), row, tuple(values)):
        return
    if not model.objects.filter(**lookup).update(**values) and _sql.insert(model, row) is None:
        model.objects.filter(**lookup).update(**values)
