"""ProcessMixin: process records under the shared process rules (:mod:`bamboo_engine.eri.rules.process`)."""

from typing import Any, List, Optional, Tuple

from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo, SuspendedProcessInfo
from bamboo_engine.eri.rules.process import ProcessRules
from bamboo_engine.eri.rules.storage import PROCESS
from bamboo_engine.testing.imp.base import StoreBacked
from bamboo_engine.testing.store import ProcessRecord


def _info(record: ProcessRecord) -> ProcessInfo:
    return ProcessInfo(
        process_id=record.id,
        destination_id=record.destination_id,
        root_pipeline_id=record.root_pipeline_id,
        pipeline_stack=list(record.pipeline_stack),
        parent_id=record.parent_id,
    )


class ProcessMixin(StoreBacked, ProcessRules):
    def _process(self, process_id: Any) -> ProcessRecord:
        """The record of ``process_id`` (raises ``NotFoundError``); hold the store lock while using it."""
        matched = self._store.matching(PROCESS, {"id": process_id})
        if not matched:
            raise self._not_found(PROCESS, "process", process_id)
        return matched[0]

    def _process_route(self, process_id: Any) -> Optional[Tuple[str, int]]:
        matched = self._store.matching(PROCESS, {"id": process_id})
        return (matched[0].queue, matched[0].priority) if matched else None

    def _first(self, **where: Any) -> Optional[ProcessRecord]:
        # Oldest first, as the Django runtime orders by id.
        matched = self._store.matching(PROCESS, where)
        return min(matched, key=lambda record: record.id) if matched else None

    def get_current_node_id(self, process_id: int) -> Optional[str]:
        record = self._first(id=process_id)
        # None also when the process does not exist (callers probe with it).
        return (record.current_node_id or None) if record is not None else None

    def is_frozen(self, process_id: int) -> bool:
        return self._first(id=process_id, frozen=True) is not None

    def get_process_info(self, process_id: int) -> ProcessInfo:
        with self._store.lock:
            return _info(self._process(process_id))

    def get_process_info_with_root_pipeline(self, pipeline_id: str) -> List[ProcessInfo]:
        return [
            _info(r) for r in self._store.matching(PROCESS, {"root_pipeline_id": pipeline_id, "dead": False})
        ]

    def get_unjoined_children(self, parent_id: int) -> List[DispatchProcess]:
        with self._store.lock:
            parent = self._store.matching(PROCESS, {"id": parent_id})
            if not parent or parent[0].need_ack > 0:
                return []
            children = sorted(
                self._store.matching(PROCESS, {"parent_id": parent_id, "dead": False}), key=lambda r: r.id
            )
            return [DispatchProcess(process_id=r.id, node_id=r.current_node_id) for r in children]

    def get_suspended_process_info(self, suspended_by: str) -> List[SuspendedProcessInfo]:
        where = {"suspended": True, "suspended_by": suspended_by, "dead": False}
        return [
            SuspendedProcessInfo(
                process_id=r.id,
                current_node=r.current_node_id,
                root_pipeline_id=r.root_pipeline_id,
                pipeline_stack=list(r.pipeline_stack),
            )
            for r in self._store.matching(PROCESS, where)
        ]

    def get_sleep_process_info_with_current_node_id(self, node_id: str) -> Optional[ProcessInfo]:
        record = self._first(current_node_id=node_id, asleep=True, dead=False)
        return _info(record) if record is not None else None

    def get_process_id_with_current_node_id(self, node_id: str) -> Optional[int]:
        record = self._first(current_node_id=node_id, dead=False)
        return record.id if record is not None else None
