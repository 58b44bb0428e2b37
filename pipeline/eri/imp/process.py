"""ProcessMixin: process rows, fork/join and the child-finished handshake.

Every write is a single UPDATE filtered by primary key (no read-modify-save), so concurrent workers
touching the same process never overwrite each other's fields.
"""

import json
from typing import Dict, List, Optional

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from bamboo_engine.eri.models.runtime import DispatchProcess, ProcessInfo, SuspendedProcessInfo
from bamboo_engine.metrics import ENGINE_RUNTIME_PROCESS_READ_TIME, setup_histogram
from pipeline.eri.imp import _sql
from pipeline.eri.imp._db import not_found
from pipeline.eri.imp.data import remember_root_pipeline
from pipeline.eri.imp.task import remember_route
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


def _update(process_id: int, **fields) -> int:
    return _sql.update(Process, {"id": process_id}, fields)


class ProcessMixin:
    """Create, park, wake and end processes."""

    def create_process(
        self, root_pipeline_id: str, pipeline_stack: List[str], queue: str, priority: int
    ) -> int:
        """Create the root process of a run (used by ``prepare_run_pipeline``); returns its id."""
        process = Process.objects.create(
            root_pipeline_id=root_pipeline_id,
            pipeline_stack=json.dumps(pipeline_stack),
            queue=queue,
            priority=priority,
        )
        remember_route(process.id, queue, priority)
        return process.id

    def beat(self, process_id: int):
        _update(process_id, last_heartbeat=timezone.now())

    # ``wake_up`` writes the heartbeat too: the engine then skips its separate ``beat`` of the message.
    WAKE_UP_BEATS = True

    def wake_up(self, process_id: int):
        # False for a dead process: the engine then drops the message (see ProcessMixin.wake_up).
        changes = {"asleep": False, "last_heartbeat": timezone.now()}
        return bool(_sql.update(Process, {"id": process_id, "dead": False}, changes))

    def wake_up_if_sleeping_at(self, process_id: int, node_id: str) -> bool:
        return bool(
            Process.objects.filter(id=process_id, asleep=True, current_node_id=node_id).update(asleep=False)
        )

    @setup_histogram(ENGINE_RUNTIME_PROCESS_READ_TIME)
    def get_current_node_id(self, process_id: int) -> Optional[str]:
        # None also when the process does not exist (as upstream: callers probe with it).
        return Process.objects.filter(id=process_id).values_list("current_node_id", flat=True).first() or None

    def sleep(self, process_id: int):
        _update(process_id, asleep=True)

    def suspend(self, process_id: int, by: str):
        _update(process_id, suspended=True, suspended_by=by)

    def resume(self, process_id: int):
        _update(process_id, suspended=False, suspended_by="")

    def batch_resume(self, process_id_list: List[int]):
        Process.objects.filter(id__in=process_id_list).update(suspended=False, suspended_by="")

    def die(self, process_id: int):
        _update(process_id, dead=True)

    def kill(self, process_id: int):
        _update(process_id, asleep=True)

    @setup_histogram(ENGINE_RUNTIME_PROCESS_READ_TIME)
    def get_process_info(self, process_id: int) -> ProcessInfo:
        rows = _sql.select(Process, _INFO_FIELDS, {"id": process_id})
        if not rows:
            raise not_found(Process, "process", process_id)
        row = rows[0]
        remember_root_pipeline(row[2])
        return _info(row)

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

    def set_current_node(self, process_id: int, node_id: str):
        _update(process_id, current_node_id=node_id)

    def child_process_finish(self, parent_id: int, process_id: int) -> bool:
        """End a child; True for exactly one caller: the one whose ack completed the parent's join.

        No lock is read-held: the child is ended with a conditional UPDATE (a duplicate report of the
        same child changes nothing), the parent's counter is incremented atomically, and the wake-up is
        a conditional UPDATE on ``ack_num = need_ack`` which also resets the counters, so after it no
        other child's wake-up can match. One transaction keeps "child dead" and "parent acked"
        together; it locks the child row and then the parent row, the same order for every child, so
        concurrent children queue on the parent row instead of deadlocking. Inside the engine's own
        transaction no savepoint is needed: any error here aborts that step as a whole.
        """
        with transaction.atomic(savepoint=False):
            if not _sql.update(Process, {"id": process_id, "dead": False}, {"dead": True}):
                return False
            _sql.update(Process, {"id": parent_id}, {"ack_num": _sql.Increment(1)})
            woken = Process.objects.filter(id=parent_id, need_ack__gt=0, ack_num=F("need_ack")).update(
                asleep=False, ack_num=0, need_ack=-1
            )
        return bool(woken)

    def is_frozen(self, process_id: int) -> bool:
        # False also when the process does not exist (as upstream).
        return Process.objects.filter(id=process_id, frozen=True).exists()

    def freeze(self, process_id: int):
        _update(process_id, frozen=True)

    def fork(
        self, parent_id: str, root_pipeline_id: str, pipeline_stack: List[str], from_to: Dict[str, str]
    ) -> List[DispatchProcess]:
        parent = Process.objects.filter(id=parent_id).values_list("queue", "priority").first()
        if parent is None:
            raise not_found(Process, "process", parent_id)
        queue, priority = parent
        stack = json.dumps(pipeline_stack)
        children = [
            Process(
                parent_id=int(parent_id),
                root_pipeline_id=root_pipeline_id,
                pipeline_stack=stack,
                destination_id=destination_id,
                current_node_id=start_node_id,
                queue=queue,
                priority=priority,
            )
            for start_node_id, destination_id in from_to.items()
        ]
        with transaction.atomic():
            if connection.features.can_return_rows_from_bulk_insert:
                created = Process.objects.bulk_create(children)
            else:
                # Backends without RETURNING on bulk inserts (MySQL): create one by one for the ids.
                created = [Process.objects.create(**_fields(child)) for child in children]
        for child in created:
            remember_route(child.pk, queue, priority)
        return [DispatchProcess(process_id=child.pk, node_id=child.current_node_id) for child in created]

    def join(self, process_id: int, children_id: List[str]):
        _update(process_id, need_ack=len(children_id), ack_num=0)

    def set_pipeline_stack(self, process_id: int, stack: List[str]):
        _update(process_id, pipeline_stack=json.dumps(stack))


def _fields(process: Process) -> dict:
    return {
        name: getattr(process, name)
        for name in (
            "parent_id",
            "root_pipeline_id",
            "pipeline_stack",
            "destination_id",
            "current_node_id",
            "queue",
            "priority",
        )
    }
