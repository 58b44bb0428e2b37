"""Small ORM helpers shared by the mixins: inserts that tolerate a concurrent twin, upserts."""

from typing import Any, Dict, Optional, Type

from django.db import IntegrityError, models, transaction

from bamboo_engine.exceptions import NotFoundError


def not_found(what: str, key: Any) -> NotFoundError:
    """A uniform ``NotFoundError`` naming the missing row."""
    return NotFoundError(f"{what}({key}) does not exist")


def insert_or_none(model: Type[models.Model], **fields: Any) -> Optional[models.Model]:
    """Insert a row; None when a unique constraint says it already exists.

    Outside a transaction the failed INSERT costs nothing more; inside one a savepoint keeps the
    surrounding transaction usable after the IntegrityError.
    """
    try:
        if transaction.get_connection().in_atomic_block:
            with transaction.atomic():
                return model.objects.create(**fields)
        return model.objects.create(**fields)
    except IntegrityError:
        return None


def upsert(
    model: Type[models.Model],
    lookup: Dict[str, Any],
    values: Dict[str, Any],
    create_defaults: Optional[Dict[str, Any]] = None,
    insert_first: bool = False,
) -> None:
    """Update the row matching ``lookup`` with ``values``, or create it.

    By default an UPDATE, followed by an INSERT only when it matched nothing (one query for an existing
    row). With ``insert_first`` (rows that usually do not exist yet) the INSERT is tried first, which
    is one query for a new row; it falls back to the UPDATE path inside a transaction, where a failed
    INSERT would cost a savepoint. A concurrent insert of the same key is retried as an update.
    ``create_defaults`` completes the row when it is created.
    """
    row = {**lookup, **(create_defaults or {}), **values}
    if insert_first:
        if not transaction.get_connection().in_atomic_block:
            if insert_or_none(model, **row) is None:
                model.objects.filter(**lookup).update(**values)
            return
        if _upsert_in_one_statement(model, lookup, values, row):
            return
    if not model.objects.filter(**lookup).update(**values) and insert_or_none(model, **row) is None:
        model.objects.filter(**lookup).update(**values)


def _upsert_in_one_statement(
    model: Type[models.Model], lookup: Dict[str, Any], values: Dict[str, Any], row: Dict[str, Any]
) -> bool:
    """``INSERT ... ON CONFLICT DO UPDATE`` (MySQL: ``ON DUPLICATE KEY UPDATE``); False if unsupported.

    Inside a transaction (the engine's ``atomic_step``) this replaces UPDATE + SAVEPOINT + INSERT +
    RELEASE with one statement; ``lookup`` must be a unique key of ``model``.
    """
    features = transaction.get_connection().features
    if not getattr(features, "supports_update_conflicts", False):
        return False
    options: Dict[str, Any] = {"update_conflicts": True, "update_fields": list(values)}
    if features.supports_update_conflicts_with_target:
        options["unique_fields"] = list(lookup)
    model.objects.bulk_create([model(**row)], **options)
    return True
