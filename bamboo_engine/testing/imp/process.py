"""ProcessMixin: process rows, fork/join and the child-finished handshake."""

from typing import Dict, List, Optional

from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo, SuspendedProcessInfo
from bamboo_engine.testing.imp.base import StoreBacked, not_found
from bamboo_engine.testing.store import ProcessRecord


class ProcessMixin(StoreBacked):
    def _process(self, process_id: int) -> ProcessRecord:
        try:
            return self._store.processes[int(process_id)]
        except KeyError:
            raise not_found("process", process_id) from None

    def _update_process(self, process_id: int, **fields) -> None:
        with self._store.lock:
            record = self._process(process_id)
            for name, value in fields.items():
                setattr(record, name, value)

    @staticmethod
    def _info(record: ProcessRecord) -> ProcessInfo:
        return ProcessInfo(
            process_id=record.id,
            destination_id=record.destination_id,
            root_pipeline_id=record.root_pipeline_id,
            pipeline_stack=list(record.pipeline_stack),
            parent_id=record.parent_id,
        )

    def create_process(self, root_pipeline_id: str, pipeline_stack: List[str], **fields) -> int:
        """Create a process row (used by ``prepare_run_pipeline`` and ``fork``); returns its id."""
        with self._store.lock:
            record = ProcessRecord(
                id=self._store.next_id("process"),
                root_pipeline_id=root_pipeline_id,
                pipeline_stack=list(pipeline_stack),
                last_heartbeat=self._now(),
                **fields,
            )
            self._store.processes[record.id] = record
            return record.id

    def beat(self, process_id: int):
        self._update_process(process_id, last_heartbeat=self._now())

    def wake_up(self, process_id: int):
        with self._store.lock:
            record = self._process(process_id)
            if record.dead:
                return False  # the engine drops a message for a dead process (see ProcessMixin.wake_up)
            record.asleep = False
            return True

    def wake_up_if_sleeping_at(self, process_id: int, node_id: str) -> bool:
        with self._store.lock:
            record = self._process(process_id)
            if not record.asleep or record.current_node_id != node_id:
                return False
            record.asleep = False
            return True

    def get_current_node_id(self, process_id: int) -> Optional[str]:
        with self._store.lock:
            record = self._store.processes.get(int(process_id))
            # None also when the process does not exist (as the Django runtime).
            return (record.current_node_id or None) if record is not None else None

    def sleep(self, process_id: int):
        self._update_process(process_id, asleep=True)

    def suspend(self, process_id: int, by: str):
        self._update_process(process_id, suspended=True, suspended_by=by)

    def resume(self, process_id: int):
        self._update_process(process_id, suspended=False, suspended_by="")

    def batch_resume(self, process_id_list: List[int]):
        with self._store.lock:
            for process_id in process_id_list:
                self.resume(process_id)

    def die(self, process_id: int):
        self._update_process(process_id, dead=True)

    def kill(self, process_id: int):
        self._update_process(process_id, asleep=True)

    def get_process_info(self, process_id: int) -> ProcessInfo:
        with self._store.lock:
            return self._info(self._process(process_id))

    def get_process_info_with_root_pipeline(self, pipeline_id: str) -> List[ProcessInfo]:
        with self._store.lock:
            return [
                self._info(p)
                for p in self._store.processes.values()
                if p.root_pipeline_id == pipeline_id and not p.dead
            ]

    def get_suspended_process_info(self, suspended_by: str) -> List[SuspendedProcessInfo]:
        with self._store.lock:
            return [
                SuspendedProcessInfo(
                    process_id=p.id,
                    current_node=p.current_node_id,
                    root_pipeline_id=p.root_pipeline_id,
                    pipeline_stack=list(p.pipeline_stack),
                )
                for p in self._store.processes.values()
                if p.suspended and p.suspended_by == suspended_by and not p.dead
            ]

    def _live_process_at(self, node_id: str, asleep_only: bool) -> Optional[ProcessRecord]:
        for record in self._store.processes.values():
            if record.current_node_id == node_id and not record.dead and (record.asleep or not asleep_only):
                return record
        return None

    def get_sleep_process_info_with_current_node_id(self, node_id: str) -> Optional[ProcessInfo]:
        with self._store.lock:
            record = self._live_process_at(node_id, asleep_only=True)
            return self._info(record) if record else None

    def get_process_id_with_current_node_id(self, node_id: str) -> Optional[int]:
        with self._store.lock:
            record = self._live_process_at(node_id, asleep_only=False)
            return record.id if record else None

    def set_current_node(self, process_id: int, node_id: str):
        self._update_process(process_id, current_node_id=node_id)

    def child_process_finish(self, parent_id: int, process_id: int) -> bool:
        # One lock around "mark dead + count + maybe wake" so that, with concurrent children, exactly
        # one of them sees the count reach need_ack and wakes the parent.
        with self._store.lock:
            self._process(process_id).dead = True
            parent = self._process(parent_id)
            parent.ack_num += 1
            if parent.ack_num != parent.need_ack:
                return False
            parent.asleep = False
            parent.ack_num = 0
            parent.need_ack = -1
            return True

    def is_frozen(self, process_id: int) -> bool:
        with self._store.lock:
            record = self._store.processes.get(int(process_id))
            return bool(record is not None and record.frozen)

    def freeze(self, process_id: int):
        self._update_process(process_id, frozen=True)

    def fork(
        self, parent_id: str, root_pipeline_id: str, pipeline_stack: List[str], from_to: Dict[str, str]
    ) -> List[DispatchProcess]:
        with self._store.lock:
            parent = self._process(int(parent_id))
            children = []
            for start_node_id, destination_id in from_to.items():
                child_id = self.create_process(
                    root_pipeline_id,
                    pipeline_stack,
                    parent_id=parent.id,
                    destination_id=destination_id,
                    current_node_id=start_node_id,
                    priority=parent.priority,
                    queue=parent.queue,
                )
                children.append(DispatchProcess(process_id=child_id, node_id=start_node_id))
            return children

    def join(self, process_id: int, children_id: List[str]):
        self._update_process(process_id, need_ack=len(children_id), ack_num=0)

    def set_pipeline_stack(self, process_id: int, stack: List[str]):
        self._update_process(process_id, pipeline_stack=list(stack))
