"""Per-process memo of the node configs of root pipelines.

``post_set_state`` fires for every node of every run. Reading the config table on each would add a
query per node and app to the engine's hot path; with this memo a worker process reads a root
pipeline's configs once (one query) and knows, for each of its nodes, whether there is anything to arm
or disarm. Caching is safe because configs are created with ``batch_create_*`` before the run starts
and are not changed afterwards; an entry is still re-read after ``ttl`` seconds, and ``batch_create_*``
forgets the root in the process that calls it.
"""

import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple

#: Root pipelines remembered per process.
DEFAULT_SIZE = 2000
#: Seconds an entry is trusted.
DEFAULT_TTL = 30.0


class RootConfigCache:
    """``root_pipeline_id`` → ``{node_id: config}``, loaded by ``load`` and kept ``ttl`` seconds.

    Args:
        load: reads the configs of one root pipeline (one query).
        ttl: seconds an entry is trusted.
        size: entries kept (least recently used dropped first).
        clock: monotonic seconds.
    """

    def __init__(
        self,
        load: Callable[[str], Dict[str, Any]],
        ttl: float = DEFAULT_TTL,
        size: int = DEFAULT_SIZE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._load = load
        self.ttl = ttl
        self.size = size
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, Tuple[float, Dict[str, Any]]] = OrderedDict()

    def get(self, root_id: str) -> Dict[str, Any]:
        """The configs of ``root_id``'s nodes (empty when it has none)."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(root_id)
            if entry is not None and now - entry[0] < self.ttl:
                self._entries.move_to_end(root_id)
                return entry[1]
        configs = self._load(root_id)
        with self._lock:
            self._entries[root_id] = (now, configs)
            self._entries.move_to_end(root_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return configs

    def forget(self, root_id: str) -> None:
        """Drop one root (its configs were just written)."""
        with self._lock:
            self._entries.pop(root_id, None)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._entries.clear()
