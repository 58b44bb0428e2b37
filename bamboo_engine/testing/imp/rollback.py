"""RollbackMixin: the shared rollback rules (:mod:`bamboo_engine.rollback.rules`) on the store's dicts.

Tokens, node snapshots, rollbacks and reservations are kept like the Django runtime's rollback models
(values of snapshots go through the runtime's codec, as every stored value does), and rollback messages
go through the dispatcher like execute and schedule messages. Every write can be undone by the store
transaction it happens in.
"""

import copy
import dataclasses
import functools
from typing import Any, Dict, Iterable, List, Optional

from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.rules.node import detail_to_node
from bamboo_engine.eri.rules.storage import CALLBACK_DATA, HISTORY, PROCESS, SCHEDULE, STATE, In
from bamboo_engine.rollback.constants import ROLLBACK_MESSAGE
from bamboo_engine.rollback.rules import RollbackRules
from bamboo_engine.rollback.storage import NodeSnapshot, ProcessRow, Reservation, RollbackRecord
from bamboo_engine.testing.imp.base import StoreBacked

AUTO_CONTINUE_SETTING = "PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED"
_MISSING = object()


class RollbackMixin(StoreBacked, RollbackRules):
    config_overrides: Dict[str, Any]

    def _rollback_storage_ready(self) -> bool:
        return True

    def _auto_continue_after_rollback(self) -> bool:
        # Read as given (not through get_config, whose rule treats False as "not configured").
        return bool(self.config_overrides.get(AUTO_CONTINUE_SETTING, True))

    def _put(self, table: Dict[Any, Any], key: Any, value: Any) -> None:
        """``table[key] = value`` (``_MISSING``: remove the key), undone with the store transaction."""
        with self._store.lock:
            old = table.get(key, _MISSING)
            _restore(table, key, value)
            self._store.on_undo(functools.partial(_restore, table, key, old))

    # -- tokens and snapshots --------------------------------------------------------------------

    def _store_tokens(self, root_pipeline_id: str, tokens: Dict[str, str]) -> None:
        self._put(self._store.rollback_tokens, root_pipeline_id, dict(tokens))

    def _load_tokens(self, root_pipeline_id: str) -> Optional[Dict[str, str]]:
        tokens = self._store.rollback_tokens.get(root_pipeline_id)
        return dict(tokens) if tokens is not None else None

    def _store_node_snapshot(
        self,
        root_pipeline_id: str,
        node_id: str,
        code: str,
        version: str,
        context_values: Dict[str, Any],
        inputs: Dict[str, Any],
        outputs: Dict[str, Any],
    ) -> None:
        snapshot_id = next(self._store.rollback_ids)
        row = {
            "id": snapshot_id,
            "root_pipeline_id": root_pipeline_id,
            "node_id": node_id,
            "code": code,
            "version": version,
            "context_values": self._serialize(context_values),
            "inputs": self._serialize(inputs),
            "outputs": self._serialize(outputs),
            "rolled_back": False,
        }
        self._put(self._store.node_snapshots, snapshot_id, row)

    def _pending_node_snapshots(self, root_pipeline_id: str, node_id: str) -> List[NodeSnapshot]:
        with self._store.lock:
            rows = [
                row
                for row in self._store.node_snapshots.values()
                if (row["root_pipeline_id"], row["node_id"]) == (root_pipeline_id, node_id)
                and not row["rolled_back"]
            ]
        return [self._snapshot(row) for row in sorted(rows, key=lambda row: row["id"], reverse=True)]

    def _snapshot(self, row: Dict[str, Any]) -> NodeSnapshot:
        values = {name: self._deserialize(*row[name]) for name in ("context_values", "inputs", "outputs")}
        return NodeSnapshot(**{**row, **values})

    def _mark_node_snapshot_rolled_back(self, snapshot_id: int) -> None:
        with self._store.lock:
            row = self._store.node_snapshots.get(snapshot_id)
            if row is not None:
                self._put(self._store.node_snapshots, snapshot_id, {**row, "rolled_back": True})

    def _delete_node_snapshots(self, root_pipeline_id: str, node_ids: Iterable[str]) -> None:
        wanted = set(node_ids)
        with self._store.lock:
            for snapshot_id, row in list(self._store.node_snapshots.items()):
                if row["root_pipeline_id"] == root_pipeline_id and row["node_id"] in wanted:
                    self._put(self._store.node_snapshots, snapshot_id, _MISSING)

    # -- rollbacks -------------------------------------------------------------------------------

    def _create_rollback_record(
        self,
        root_pipeline_id: str,
        start_node_id: str,
        target_node_id: str,
        graph: Dict[str, List[Any]],
        skip_rollback_nodes: List[str],
        other_nodes: List[str],
        is_expired: bool,
    ) -> int:
        record_id = next(self._store.rollback_ids)
        record = RollbackRecord(
            id=record_id,
            root_pipeline_id=root_pipeline_id,
            start_node_id=start_node_id,
            target_node_id=target_node_id,
            graph=copy.deepcopy(graph),
            node_access_record={},
            skip_rollback_nodes=list(skip_rollback_nodes),
            other_nodes=list(other_nodes),
            is_expired=is_expired,
        )
        self._put(self._store.rollback_records, record_id, record)
        return record_id

    def _load_rollback_record(self, record_id: Any) -> Optional[RollbackRecord]:
        try:
            key = int(record_id)
        except (TypeError, ValueError):
            return None
        record = self._store.rollback_records.get(key)
        return copy.deepcopy(record) if record is not None else None

    def _live_rollback_records(self, root_pipeline_id: str) -> List[RollbackRecord]:
        with self._store.lock:
            records = [
                r
                for r in self._store.rollback_records.values()
                if r.root_pipeline_id == root_pipeline_id and not r.is_expired
            ]
        return [copy.deepcopy(r) for r in sorted(records, key=lambda r: r.id)]

    def _save_rollback_progress(self, record_id: int, node_access_record: Dict[str, int]) -> None:
        with self._store.lock:
            record = self._store.rollback_records[record_id]
            changed = dataclasses.replace(record, node_access_record=dict(node_access_record))
            self._put(self._store.rollback_records, record_id, changed)

    def _expire_rollback_records(self, root_pipeline_id: str) -> None:
        for record in self._live_rollback_records(root_pipeline_id):
            self._put(self._store.rollback_records, record.id, dataclasses.replace(record, is_expired=True))

    # -- reservations ----------------------------------------------------------------------------

    def _create_reservation(
        self,
        root_pipeline_id: str,
        start_node_id: str,
        target_node_id: str,
        mode: str,
        options: Dict[str, Any],
    ) -> int:
        reservation_id = next(self._store.rollback_ids)
        reservation = Reservation(
            id=reservation_id,
            root_pipeline_id=root_pipeline_id,
            start_node_id=start_node_id,
            target_node_id=target_node_id,
            mode=mode,
            options=copy.deepcopy(options),
        )
        self._put(self._store.reservations, reservation_id, reservation)
        return reservation_id

    def _live_reservations(self, root_pipeline_id: str) -> List[Reservation]:
        with self._store.lock:
            found = [
                r
                for r in self._store.reservations.values()
                if r.root_pipeline_id == root_pipeline_id and not r.is_expired
            ]
        return sorted(found, key=lambda r: r.id)

    def _expire_reservation(self, reservation_id: int) -> bool:
        with self._store.lock:
            reservation = self._store.reservations.get(reservation_id)
            if reservation is None or reservation.is_expired:
                return False
            self._put(
                self._store.reservations, reservation_id, dataclasses.replace(reservation, is_expired=True)
            )
            return True

    # -- engine records --------------------------------------------------------------------------

    def _process_rows(self, root_pipeline_id: str) -> List[ProcessRow]:
        records = self._store.matching(PROCESS, {"root_pipeline_id": root_pipeline_id})
        return [
            ProcessRow(
                id=r.id,
                parent_id=r.parent_id,
                current_node_id=r.current_node_id,
                pipeline_stack=list(r.pipeline_stack),
                asleep=r.asleep,
                dead=r.dead,
                suspended=r.suspended,
                destination_id=r.destination_id,
            )
            for r in sorted(records, key=lambda r: r.id)
        ]

    def _stored_nodes(self, node_ids: Iterable[str]) -> Dict[str, Node]:
        with self._store.lock:
            details = {node_id: self._store.nodes.get(node_id) for node_id in node_ids}
        return {node_id: detail_to_node(detail) for node_id, detail in details.items() if detail is not None}

    def _clear_node_runs(self, node_ids: Iterable[str]) -> None:
        cleared = In(list(node_ids))
        store = self._store
        with store.lock:
            for table in (STATE, SCHEDULE, CALLBACK_DATA, HISTORY):
                store.delete(table, {"node_id": cleared})
            for node_id in cleared.values:
                if node_id in store.execution_data:
                    self._put(store.execution_data, node_id, _MISSING)

    def _send_rollback_message(self, kwargs: Dict[str, Any]) -> None:
        self._store.on_commit(functools.partial(self._dispatcher.submit, ROLLBACK_MESSAGE, kwargs))


def _restore(table: Dict[Any, Any], key: Any, value: Any) -> None:
    if value is _MISSING:
        table.pop(key, None)
    else:
        table[key] = value
