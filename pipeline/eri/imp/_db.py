"""Small helpers shared by the mixins: the uniform not-found error, upserts with an ORM fallback."""

import functools
from typing import Any, Dict, Optional, Type

from django.db import models

from bamboo_engine.exceptions import NotFoundError
from pipeline.eri.imp import _sql


@functools.cache
def not_found_class(model: Any) -> Type[NotFoundError]:
    """The error class for a missing ``model`` row: both ``NotFoundError`` and ``model.DoesNotExist``.

    Engine code catches the ERI's ``NotFoundError``; code written for the upstream runtime catches the
    model's ``DoesNotExist`` (e.g. ``pipeline.eri.models.State.DoesNotExist`` around ``get_state``).
    One class per model, built on first use, satisfies both.
    """
    return type(
        f"{model.__name__}NotFoundError",
        (NotFoundError, model.DoesNotExist),
        {"__module__": __name__, "__doc__": f"No such {model.__name__} row (a NotFoundError)."},
    )


def not_found(model: Any, what: str, key: Any) -> NotFoundError:
    """The uniform not-found error naming the missing row (see :func:`not_found_class`)."""
    return not_found_class(model)(f"{what}({key}) does not exist")


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
