"""RollbackMixin: rollback bookkeeping, a no-op unless ``PIPELINE_ENABLE_ROLLBACK`` is on.

When enabled, the work is delegated to the rollback contrib app through three functions of
``pipeline.contrib.rollback.hooks`` (``set_pipeline_token(pipeline_tree)``,
``set_node_snapshot(**snapshot)``, ``start_rollback(root_pipeline_id, node_id)``), imported lazily so the
runtime does not depend on the contrib app being installed.
"""

import importlib
import logging
from typing import Any, Optional

from pipeline.conf import settings

logger = logging.getLogger(__name__)

ROLLBACK_HOOKS_MODULE = "pipeline.contrib.rollback.hooks"


def _rollback_hook(name: str) -> Optional[Any]:
    if not settings.PIPELINE_ENABLE_ROLLBACK:
        return None
    try:
        module = importlib.import_module(ROLLBACK_HOOKS_MODULE)
    except ImportError:
        logger.warning("PIPELINE_ENABLE_ROLLBACK is on but %s is not importable", ROLLBACK_HOOKS_MODULE)
        return None
    return getattr(module, name, None)


class RollbackMixin:
    """Forwards rollback bookkeeping to the rollback contrib app when rollback is enabled."""

    def set_pipeline_token(self, pipeline_tree: dict):
        hook = _rollback_hook("set_pipeline_token")
        if hook is not None:
            hook(pipeline_tree)

    def set_node_snapshot(self, root_pipeline_id, node_id, code, version, context_values, inputs, outputs):
        hook = _rollback_hook("set_node_snapshot")
        if hook is not None:
            hook(
                root_pipeline_id=root_pipeline_id,
                node_id=node_id,
                code=code,
                version=version,
                context_values=context_values,
                inputs=inputs,
                outputs=outputs,
            )

    def start_rollback(self, root_pipeline_id, node_id):
        hook = _rollback_hook("start_rollback")
        if hook is not None:
            hook(root_pipeline_id, node_id)
