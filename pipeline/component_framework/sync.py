"""Mirror the in-memory component registry into the ``ComponentModel`` table.

Called from ``post_migrate`` (when ``AUTO_UPDATE_COMPONENT_MODELS`` is on) and by the
``update_component_models`` command; never at import time.
"""

import logging
from typing import Dict, Tuple

from django.db import DEFAULT_DB_ALIAS, connections, transaction

from pipeline.component_framework.library import ComponentLibrary

logger = logging.getLogger(__name__)


def table_exists(model, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether ``model``'s table exists (False before its migration ran)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        return model._meta.db_table in connection.introspection.table_names(cursor)


def registered_component_rows() -> Dict[Tuple[str, str], dict]:
    """``{(code, version): field values}`` of every registered component."""
    return {
        (component_cls.code, component_cls.version): {
            "name": f"{component_cls.group_name}-{component_cls.name}",
            "is_default_version": bool(component_cls.is_default_version),
            "status": True,
        }
        for component_cls in ComponentLibrary.component_list()
    }


def sync_component_models(using: str = DEFAULT_DB_ALIAS) -> Dict[str, int]:
    """Create/update a row per registered component and disable the rows of unregistered ones.

    Returns:
        counts ``{"created", "updated", "disabled"}``.
    """
    from pipeline.component_framework.models import ComponentModel

    wanted = registered_component_rows()
    with transaction.atomic(using=using):
        manager = ComponentModel.objects.using(using)
        existing = {(row.code, row.version): row for row in manager.select_for_update()}
        to_create = [
            ComponentModel(code=code, version=version, **fields)
            for (code, version), fields in wanted.items()
            if (code, version) not in existing
        ]
        to_update = _changed_rows(existing, wanted)
        manager.bulk_create(to_create)
        if to_update:
            manager.bulk_update(to_update, ["name", "is_default_version", "status"])
        stale_ids = [row.id for key, row in existing.items() if key not in wanted and row.status]
        disabled = manager.filter(id__in=stale_ids).update(status=False)
    counts = {"created": len(to_create), "updated": len(to_update), "disabled": disabled}
    logger.info("component models synced: %s", counts)
    return counts


def _changed_rows(existing, wanted):
    changed = []
    for key, fields in wanted.items():
        row = existing.get(key)
        if row is None or all(getattr(row, name) == value for name, value in fields.items()):
            continue
        for name, value in fields.items():
            setattr(row, name, value)
        changed.append(row)
    return changed
