"""ProcessMixin: process rows under the shared process rules (``bamboo_engine.eri.rules.process``).

Every write is a single conditional UPDATE (no read-modify-save), so concurrent workers touching the
same process never overwrite each other's fields.
"""

import json
from typing import Any, List, Optional, Tuple

from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo, SuspendedProcessInfo
from bamboo_engine.eri.rules.process import ProcessRules
from bamboo_engine.eri.rules.storage import PROCESS, id_of
from bamboo_engine.metrics import ENGINE_RUNTIME_PROCESS_READ_TIME, setup_histogram
from pipeline.eri.cache import runtime_cache
from pipeline.eri.imp import _sql
from pipeline.eri.imp.storage import StorageMixin
from pipeline.eri.models import Process

_INFO_FIELDS = ("id", "destination_id", "root_pipeline_id", "pipeline_stack", "parent_id")


def _info(row: tuple) -> ProcessInfo:
    return ProcessInfo(
        process_id=row[0],
        destination_id=row[1],
        root_pipeline_id=row[2],
        pipeline_stack=json.loads(row[3]),
        parent_id=row[4],
    )


def process_route(process_id: Any) -> Optional[Tuple[str, int]]:
    """``(queue, priority)`` of a process (cached: they never change), or None if there is no such process."""
    key = id_of(process_id)
    if key is None:
        return None
    route = runtime_cache.route(key)
    if route is None:
        rows = _sql.select(Process, ("queue", "priority"), {"id": key}, limit=1)
        if not rows:
            return None
        route = (rows[0][0], rows[0][1])
        runtime_cache.keep_route(key, *route)
    return route


class ProcessMixin(StorageMixin, ProcessRules):
    """Create, park, wake and end processes."""

    # ``set_current_node`` writes the heartbeat too: no separate ``beat`` write, and a heartbeat newer
    # than a message's claim says its run reached a node (pipeline.eri.celery.takeover reads it).
    CURRENT_NODE_BEATS = True

    def _process_route(self, process_id: Any) -> Optional[Tuple[str, int]]:
        return process_route(process_id)

    @setup_histogram(ENGINE_RUNTIME_PROCESS_READ_TIME)
    def get_current_node_id(self, process_id: int) -> Optional[str]:
        # None also when the process does not exist (as upstream: callers probe with it).
        return Process.objects.filter(id=process_id).values_list("current_node_id", flat=True).first() or None

    def is_frozen(self, process_id: int) -> bool:
        # False also when the process does not exist (as upstream).
        return Process.objects.filter(id=process_id, frozen=True).exists()

    @setup_histogram(ENGINE_RUNTIME_PROCESS_READ_TIME)
    def get_process_info(self, process_id: int) -> ProcessInfo:
        rows = _sql.select(Process, _INFO_FIELDS, {"id": process_id})
        if not rows:
            raise self._not_found(PROCESS, "process", process_id)
        row = rows[0]
        runtime_cache.mark_root_pipeline(row[2])
        return _info(row)

    def get_unjoined_children(self, parent_id: int) -> List[DispatchProcess]:
        need_ack = Process.objects.filter(id=parent_id).values_list("need_ack", flat=True).first()
        if need_ack is None or need_ack > 0:
            return []
        rows = Process.objects.filter(parent_id=parent_id, dead=False).order_by("id")
        return [
            DispatchProcess(process_id=pid, node_id=node_id)
            for pid, node_id in rows.values_list("id", "current_node_id")
        ]

    def get_process_info_with_root_pipeline(self, pipeline_id: str) -> List[ProcessInfo]:
        rows = Process.objects.filter(root_pipeline_id=pipeline_id, dead=False).order_by("id")
        return [_info(row) for row in rows.values_list(*_INFO_FIELDS)]

    def get_suspended_process_info(self, suspended_by: str) -> List[SuspendedProcessInfo]:
        rows = Process.objects.filter(suspended=True, suspended_by=suspended_by, dead=False).order_by("id")
        return [
            SuspendedProcessInfo(
                process_id=pid, current_node=node, root_pipeline_id=root, pipeline_stack=json.loads(stack)
            )
            for pid, node, root, stack in rows.values_list(
                "id", "current_node_id", "root_pipeline_id", "pipeline_stack"
            )
        ]

    def get_sleep_process_info_with_current_node_id(self, node_id: str) -> Optional[ProcessInfo]:
        rows = Process.objects.filter(current_node_id=node_id, asleep=True, dead=False).order_by("id")
        row = rows.values_list(*_INFO_FIELDS).first()
        return _info(row) if row else None

    def get_process_id_with_current_node_id(self, node_id: str) -> Optional[int]:
        rows = Process.objects.filter(current_node_id=node_id, dead=False).order_by("id")
        return rows.values_list("id", flat=True).first()
