"""The two rules both apps apply: when a node's deadlines are armed and disarmed, and when one may fire.

* Arming: a node with a config gets its deadlines when it becomes RUNNING (each run has its own
  version, hence its own members) and loses them on every way out of RUNNING: FINISHED, FAILED (a
  failure, a forced fail, then a skip or a retry from there), SUSPENDED, ROLLING_BACK; revoking the root
  pipeline disarms all of its nodes.
* Firing: a deadline acts only on the run that armed it, while it is still RUNNING and its pipeline
  was not revoked; anything else is a stale deadline and does nothing.

Both take the runtime / pool / configs as arguments: the apps pass the Django ones, unit tests the
in-memory runtime and pool.
"""

import logging
import time
from typing import Any, Callable, Iterable, List, Optional

from bamboo_engine import states
from pipeline.contrib.deadlines.config_cache import RootConfigCache
from pipeline.contrib.deadlines.pool import Deadline, DeadlinePool

logger = logging.getLogger(__name__)

#: Every state a RUNNING node can move to (``bamboo_engine.states``).
LEAVING_RUNNING = frozenset(
    {states.FINISHED, states.FAILED, states.SUSPENDED, states.REVOKED, states.ROLLING_BACK}
)


class StateWatcher:
    """Arms and disarms one app's deadlines from ``post_set_state``.

    Args:
        pool: returns the pool to use (the apps choose Redis or the database from the settings).
        node_config: ``(node_id, version, root_id)`` → the node's config, None when it has none. Called
            for every state change worth looking at, so it must be cheap (the apps use a
            :class:`~pipeline.contrib.deadlines.config_cache.RootConfigCache`).
        root_nodes: ``root_id`` → the configured nodes of a root pipeline (to disarm on revoke).
        deadlines: ``(node_id, version, config, now)`` → the ``(member, due)`` pairs to arm.
        clock: epoch seconds.
    """

    def __init__(
        self,
        pool: Callable[[], DeadlinePool],
        node_config: Callable[[str, str, Optional[str]], Any],
        root_nodes: Callable[[str], Iterable[str]],
        deadlines: Callable[[str, str, Any, float], List[Deadline]],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pool = pool
        self.node_config = node_config
        self.root_nodes = root_nodes
        self.deadlines = deadlines
        self.clock = clock

    def on_state_change(self, node_id: str, to_state: str, version: str, root_id: Optional[str]) -> None:
        """Apply the arming rule to one state change."""
        if to_state == states.RUNNING:
            if node_id == root_id:
                return  # a root pipeline starting: configs are of activities, the root has none
            config = self.node_config(node_id, version, root_id)
            if config is not None:
                self.pool().arm(node_id, self.deadlines(node_id, version, config, self.clock()))
            return
        if to_state not in LEAVING_RUNNING:
            return
        if to_state == states.REVOKED:
            # a revoked root pipeline: its nodes stay RUNNING in the table, their deadlines go
            revoked = list(self.root_nodes(node_id))
            if revoked:
                self.pool().disarm(revoked)
        if self.node_config(node_id, version, root_id) is not None:
            self.pool().disarm([node_id])


def cached_node_config(cache: RootConfigCache, load_node_config: Callable[[str], Any]) -> Callable:
    """A ``node_config`` for :class:`StateWatcher` reading ``cache`` (``load_node_config`` without a root)."""

    def node_config(node_id: str, version: str, root_id: Optional[str]) -> Any:
        if root_id:
            return cache.get(root_id).get(node_id)
        return load_node_config(node_id)

    return node_config


def stale_reason(runtime: Any, node_id: str, version: str) -> Optional[str]:
    """Why a deadline of ``node_id`` at ``version`` must not act (None: it may).

    Args:
        runtime: an ERI runtime (``BambooDjangoRuntime``, ``InMemoryRuntime``).
    """
    state = runtime.get_state_or_none(node_id)
    if state is None:
        return f"node {node_id} has no state"
    if state.version != version:
        return f"node {node_id} runs version {state.version} now, the deadline is of version {version}"
    if state.name != states.RUNNING:
        return f"node {node_id} is {state.name}, not RUNNING"
    if state.root_id and state.root_id != node_id:
        root = runtime.get_state_or_none(state.root_id)
        if root is not None and root.name == states.REVOKED:
            return f"pipeline {state.root_id} of node {node_id} was revoked"
    return None
