"""The Django pieces of node timeouts: the pool, the ledger, the configs and the state watcher."""

from typing import Dict, Optional, Tuple

from pipeline.contrib.deadlines.backends import select_pool
from pipeline.contrib.deadlines.config_cache import RootConfigCache
from pipeline.contrib.deadlines.database import DatabaseFiringLedger
from pipeline.contrib.deadlines.pool import DeadlinePool
from pipeline.contrib.deadlines.rules import StateWatcher, cached_node_config
from pipeline.contrib.node_timeout.firing import timeout_deadlines
from pipeline.contrib.node_timeout.models import TimeoutDeadline, TimeoutFiring, TimeoutNodeConfig
from pipeline.contrib.node_timeout.settings import node_timeout_settings
from pipeline.eri.imp import _sql

#: A node's member index in Redis outlives its arm by this much (a timeout is at most this long).
INDEX_TTL = 60 * 60 * 24 * 15

Config = Tuple[str, int]


def timeout_pool() -> DeadlinePool:
    """Redis (``PIPELINE_NODE_TIMEOUT_EXECUTING_POOL``) when configured, else the ``TimeoutDeadline``
    table."""
    return select_pool(
        "PIPELINE_NODE_TIMEOUT_BACKEND", node_timeout_settings.executing_pool, TimeoutDeadline, INDEX_TTL
    )


def timeout_ledger() -> DatabaseFiringLedger:
    return DatabaseFiringLedger(TimeoutFiring)


def load_root_configs(root_pipeline_id: str) -> Dict[str, Config]:
    # Plain SQL (string and integer columns): read once per root and process, in the state-change receiver.
    where = {"root_pipeline_id": root_pipeline_id}
    rows = _sql.select(TimeoutNodeConfig, ("node_id", "action", "timeout"), where)
    return {node_id: (action, timeout) for node_id, action, timeout in rows}


def load_node_config(node_id: str) -> Optional[Config]:
    row = TimeoutNodeConfig.objects.filter(node_id=node_id).values_list("action", "timeout").first()
    return (row[0], row[1]) if row else None


#: The timeout configs of the root pipelines this process saw (see RootConfigCache for why it is safe).
root_configs = RootConfigCache(load_root_configs)

watcher = StateWatcher(
    pool=timeout_pool,
    node_config=cached_node_config(root_configs, load_node_config),
    root_nodes=lambda root_id: root_configs.get(root_id).keys(),
    deadlines=timeout_deadlines,
)
