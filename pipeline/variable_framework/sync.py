"""Mirror :class:`VariableLibrary` into ``VariableModel`` (post_migrate, a command; never at import)."""

import logging
from typing import Dict

from django.db import DEFAULT_DB_ALIAS, transaction

from pipeline.core.data.library import VariableLibrary

logger = logging.getLogger(__name__)


def sync_variable_models(using: str = DEFAULT_DB_ALIAS) -> Dict[str, int]:
    """Create/enable a row per registered code and disable the others.

    Returns:
        counts ``{"created", "enabled", "disabled"}``.
    """
    from pipeline.variable_framework.models import VariableModel

    wanted = set(VariableLibrary.codes())
    with transaction.atomic(using=using):
        manager = VariableModel.objects.using(using)
        existing = dict(manager.select_for_update().values_list("code", "status"))
        created = manager.bulk_create(
            [VariableModel(code=code, status=True) for code in wanted - set(existing)]
        )
        enabled = manager.filter(code__in=[c for c in wanted if existing.get(c) is False]).update(status=True)
        stale = [code for code, status in existing.items() if code not in wanted and status]
        disabled = manager.filter(code__in=stale).update(status=False)
    counts = {"created": len(created), "enabled": enabled, "disabled": disabled}
    logger.info("variable models synced: %s", counts)
    return counts
