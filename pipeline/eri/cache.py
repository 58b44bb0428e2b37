"""What the Django runtime remembers instead of reading it again, and why each part is safe to keep.

Two parts, kept apart:

**Process-wide** (:class:`RuntimeCache`; the one instance is :data:`runtime_cache`), shared by every runtime
object of a worker process and emptied by :meth:`RuntimeCache.clear`:

* **Node details** (an LRU of ``BAMBOO_DJANGO_ERI_NODE_CACHE_SIZE`` entries). A node does not change after
  ``prepare_run_pipeline``, with two exceptions, and the nodes they can change are never kept:
  loop-enabled nodes (``update_node_loop_times``, from any worker) and, when ``PIPELINE_ENABLE_ROLLBACK``
  is on, service activities (``pipeline.contrib.rollback``'s reserve and cancel write ``reserve_rollback``
  into the stored detail while the node runs, from whatever process serves the API: a copy kept by a
  worker would never see it). A write through this runtime (``update_node_loop_times``,
  ``set_reserve_rollback``) also forgets its node here. Changing either setting at run time
  (``override_settings``) forgets every node.
* **Routes**: process id → ``(queue, priority)``. Set when the process is created (the run's options, or
  its parent's for a forked child) and never updated.
* **Root pipeline inputs** (``root_pipeline_data`` of ``run_pipeline``): written at prepare, read by every
  activity of the run, never changed. Only ids known to be root pipelines (recorded when a process of
  theirs is read) are kept; the data of other nodes is not (retries change it), and ``set_data_inputs``
  forgets its node.
* **The event switch**: the ``ENABLE_PIPELINE_EVENT_SIGNALS`` setting, read once (every runtime hook asks,
  several times per activity). Settings change in a running process only through ``override_settings``
  and the like, which send ``setting_changed``; the ``pipeline.eri`` app connects :meth:`on_setting_changed`.

Ids are only reused when tables are emptied (tests flushing the database): that is when to call
:meth:`RuntimeCache.clear`.

**Message-scoped** (:class:`MessageMemo`; each runtime object has its own, and the Celery tasks build one
runtime per message):

* **State rows**: the row as this runtime last read or wrote it, a hint for ``set_state``'s
  compare-and-set write (:meth:`bamboo_engine.eri.rules.state.StateRules._state_hint`): never trusted, a
  stale hint costs a read, never a wrong transition.
* **Node data rows**, only once :meth:`MessageMemo.scope_to_message` was called (the Celery tasks do),
  of the node read and of the nodes ahead of it (``pipeline.eri.imp.data.nodes_ahead``, one read per
  stretch of a chain). A node's data changes only through ``set_data_inputs`` (which forgets it here),
  called by an operator's retry of a failed node while its process is parked at it; the retry sends a
  new message. A message holding rows of nodes ahead is running its process, so none of the nodes it
  will reach is parked waiting for such a retry (a node is run by one process at a time), and the rows
  it reads ahead for nodes of other processes (branches of a fork) are never used: its process stops
  at the fork.

Not kept here, because they are not runtime data: statement text per query shape (``_sql``), the
not-found error class per model (``_db``), imported encoder hooks by dotted path (``pipeline.eri.codec``):
functions of code and names that never change meaning in a process.
"""

import threading
from collections import OrderedDict
from typing import Any, Dict, Optional, Set, Tuple

from bamboo_engine.eri.models.node import NodeType
from bamboo_engine.eri.models.runtime import DataInput

ROUTE_LIMIT = 50000
ROOT_LIMIT = 10000
STATE_HINT_LIMIT = 1000
EVENT_SIGNALS_SETTING = "ENABLE_PIPELINE_EVENT_SIGNALS"
#: Settings that decide which node details may be kept, or how many.
NODE_SETTINGS = ("PIPELINE_ENABLE_ROLLBACK", "BAMBOO_DJANGO_ERI_NODE_CACHE_SIZE")
_ACTIVITY = NodeType.ServiceActivity.value


def keeps_node(detail: Dict[str, Any], rollback_enabled: bool) -> bool:
    """Whether a node detail cannot change after prepare (see the module docstring)."""
    if detail.get("loop_config"):
        return False
    return not (rollback_enabled and detail.get("type") == _ACTIVITY)


class RuntimeCache:
    """The process-wide part: node details, routes, root pipeline inputs, the event switch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._nodes: OrderedDict[str, Dict[str, Any]] = OrderedDict()
        self._routes: OrderedDict[int, Tuple[str, int]] = OrderedDict()
        self._root_ids: Set[str] = set()
        self._root_inputs: Dict[str, Dict[str, DataInput]] = {}
        self._event_signals: Optional[bool] = None

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._nodes.clear()
            self._routes.clear()
            self._root_ids.clear()
            self._root_inputs.clear()
            self._event_signals = None

    def on_setting_changed(self, setting: Optional[str] = None, **kwargs: Any) -> None:
        """A ``setting_changed`` receiver: forget what was derived from the changed setting."""
        if setting in (None, EVENT_SIGNALS_SETTING):
            self._event_signals = None
        if setting is None or setting in NODE_SETTINGS:
            with self._lock:
                self._nodes.clear()

    # -- node details ----------------------------------------------------------------------------

    def node_detail(self, node_id: str) -> Optional[Dict[str, Any]]:
        with self._lock:
            detail = self._nodes.get(node_id)
            if detail is not None:
                self._nodes.move_to_end(node_id)
            return detail

    def keep_node(self, node_id: str, detail: Dict[str, Any], limit: int) -> None:
        """Keep a detail the caller checked with :func:`keeps_node`."""
        with self._lock:
            self._nodes[node_id] = detail
            while len(self._nodes) > limit:
                self._nodes.popitem(last=False)

    def forget_node(self, node_id: str) -> None:
        with self._lock:
            self._nodes.pop(node_id, None)

    # -- routes ----------------------------------------------------------------------------------

    def route(self, process_id: int) -> Optional[Tuple[str, int]]:
        with self._lock:
            return self._routes.get(process_id)

    def keep_route(self, process_id: int, queue: str, priority: int) -> None:
        with self._lock:
            self._routes[process_id] = (queue, priority)
            if len(self._routes) > ROUTE_LIMIT:
                self._routes.popitem(last=False)

    # -- root pipeline inputs --------------------------------------------------------------------

    def mark_root_pipeline(self, root_pipeline_id: str) -> None:
        """Record that ``root_pipeline_id`` names a root pipeline (its data inputs never change)."""
        if root_pipeline_id in self._root_ids:
            return
        with self._lock:
            if len(self._root_ids) >= ROOT_LIMIT:
                self._root_ids.clear()
                self._root_inputs.clear()
            self._root_ids.add(root_pipeline_id)

    def root_inputs(self, node_id: str) -> Optional[Dict[str, DataInput]]:
        """A copy of the kept inputs of root pipeline ``node_id``, or None."""
        inputs = self._root_inputs.get(node_id)
        return dict(inputs) if inputs is not None else None

    def keep_root_inputs(self, node_id: str, inputs: Dict[str, DataInput]) -> None:
        """Keep the inputs of ``node_id`` if it is a known root pipeline."""
        if node_id in self._root_ids:
            with self._lock:
                self._root_inputs[node_id] = dict(inputs)

    def forget_inputs(self, node_id: str) -> None:
        with self._lock:
            self._root_inputs.pop(node_id, None)

    # -- event switch ----------------------------------------------------------------------------

    def event_signals_enabled(self) -> bool:
        """The ``ENABLE_PIPELINE_EVENT_SIGNALS`` setting, read once."""
        enabled = self._event_signals
        if enabled is None:
            from pipeline.conf import settings

            enabled = self._event_signals = bool(getattr(settings, EVENT_SIGNALS_SETTING))
        return enabled


#: The process-wide cache of every ``BambooDjangoRuntime`` of this process.
runtime_cache = RuntimeCache()


class MessageMemo:
    """The message-scoped part: what one runtime object remembers while it serves one message."""

    def __init__(self) -> None:
        self.state_rows: Dict[str, Dict[str, Any]] = {}
        self.stateless: Set[str] = set()
        #: Node data rows ``(inputs, outputs)`` by node id; None until :meth:`scope_to_message`.
        self.data_rows: Optional[Dict[str, Tuple[str, str]]] = None

    def scope_to_message(self) -> None:
        """Declare the runtime built for one message: node data rows are kept from now on."""
        self.data_rows = {}

    def clear(self) -> None:
        self.state_rows.clear()
        self.stateless.clear()
        if self.data_rows is not None:
            self.data_rows.clear()

    # -- state rows ------------------------------------------------------------------------------

    def keep_state(self, row: Dict[str, Any]) -> None:
        if len(self.state_rows) >= STATE_HINT_LIMIT:
            self.state_rows.clear()
        self.state_rows[row["node_id"]] = row
        self.stateless.discard(row["node_id"])

    def mark_stateless(self, node_ids: Set[str]) -> None:
        """Nodes a read found without a state: ``set_state`` tries the INSERT first."""
        if len(self.stateless) >= STATE_HINT_LIMIT:
            self.stateless.clear()
        self.stateless.update(node_ids)

    def forget_state(self, node_id: Optional[str] = None) -> None:
        """Forget one node's row (or every row, for a write that may touch many)."""
        if node_id is None:
            self.state_rows.clear()
            self.stateless.clear()
        else:
            self.state_rows.pop(node_id, None)
            self.stateless.discard(node_id)
