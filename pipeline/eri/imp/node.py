"""NodeMixin: node details stored as ``Node.detail`` JSON, under the shared node rules
(``bamboo_engine.eri.rules.node``).

Details that cannot change after prepare are kept per worker process (:mod:`pipeline.eri.cache` says
which and why); the first miss of a run loads every node of it in one query.
"""

import json
from typing import Any, Dict, Optional

from django.db.models import Subquery

from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.rules.node import Detail, NodeRules
from bamboo_engine.metrics import ENGINE_RUNTIME_NODE_READ_TIME, setup_histogram
from pipeline.conf import settings
from pipeline.eri.cache import keeps_node, runtime_cache
from pipeline.eri.imp.storage import StorageMixin
from pipeline.eri.models import Node as NodeModel


def _load_run_of(node_id: str) -> Optional[Detail]:
    """Read ``node_id`` together with every node of its run (one query), keeping what may be kept.

    The engine visits most nodes of a run, usually in the same worker process: loading them at the
    first miss turns one query per node into one query per run and worker.
    """
    limit = settings.BAMBOO_DJANGO_ERI_NODE_CACHE_SIZE
    rollback_enabled = bool(settings.PIPELINE_ENABLE_ROLLBACK)
    root_of_node = NodeModel.objects.filter(node_id=node_id).values("root_pipeline_id")[:1]
    rows = (
        NodeModel.objects.filter(root_pipeline_id=Subquery(root_of_node))
        .exclude(root_pipeline_id="")
        .values_list("node_id", "detail")[:limit]
    )
    found = None
    for row_node_id, text in rows:
        detail = json.loads(text)
        if keeps_node(detail, rollback_enabled):
            runtime_cache.keep_node(row_node_id, detail, limit)
        if row_node_id == node_id:
            found = detail
    if found is not None:
        return found
    # Rows written without a root id, or a run larger than the cache: read the node alone.
    return _stored_detail(node_id)


def _stored_detail(node_id: str) -> Optional[Detail]:
    text = NodeModel.objects.filter(node_id=node_id).values_list("detail", flat=True).first()
    return json.loads(text) if text is not None else None


class NodeMixin(StorageMixin, NodeRules):
    """Read nodes (kept per worker when they cannot change)."""

    def _node_detail(self, node_id: str) -> Optional[Detail]:
        detail = runtime_cache.node_detail(node_id)
        return detail if detail is not None else _load_run_of(node_id)

    def _stored_node_detail(self, node_id: str) -> Optional[Detail]:
        return _stored_detail(node_id)

    def _save_node_detail(self, node_id: str, detail: Dict[str, Any]) -> None:
        NodeModel.objects.filter(node_id=node_id).update(detail=json.dumps(detail))
        runtime_cache.forget_node(node_id)

    @setup_histogram(ENGINE_RUNTIME_NODE_READ_TIME)
    def get_node(self, node_id: str) -> Node:
        return super().get_node(node_id)
