"""The chaos suite's figures and its description of lost pipelines, read with plain SQL.

Both implementations store the runtime in the same ``eri_*`` tables, so the harness reads them directly
(PyMySQL, its own connection, reconnecting when the fault took the database away) and never imports
either implementation.
"""

import contextlib
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Dict, List, Optional, Sequence

from benchmark.chaos_services import connect

#: The probe tables the workers write (``benchmark/chaos_project/chaos_probe/probes.py``).
PROBE_TABLES = (
    "CREATE TABLE IF NOT EXISTS chaos_execute (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
    "node_id VARCHAR(64) NOT NULL, version VARCHAR(64) NOT NULL, pid INT NOT NULL, "
    "at DOUBLE NOT NULL, KEY node_version (node_id, version))",
    "CREATE TABLE IF NOT EXISTS chaos_finished (id BIGINT AUTO_INCREMENT PRIMARY KEY, "
    "node_id VARCHAR(64) NOT NULL, version VARCHAR(64) NOT NULL, pid INT NOT NULL, "
    "at DOUBLE NOT NULL, KEY node (node_id))",
)


class Database:
    """One harness connection to the run's database; a failed query reconnects once, then gives up."""

    def __init__(self, port: int, database: str) -> None:
        self.port, self.database = port, database
        self.connection: Any = None

    def query(self, sql: str, params: Sequence[Any] = ()) -> List[tuple]:
        for attempt in (1, 2):
            try:
                if self.connection is None:
                    self.connection = connect(self.port, self.database)
                with self.connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    return list(cursor.fetchall())
            except Exception:
                self.close()
                if attempt == 2:
                    raise
        return []

    def try_query(self, sql: str, params: Sequence[Any] = ()) -> Optional[List[tuple]]:
        try:
            return self.query(sql, params)
        except Exception:  # noqa: BLE001 - a poll during a database restart
            return None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # already gone
                self.connection.close()
        self.connection = None


def _in(values: Sequence[str]) -> str:
    return ",".join(["%s"] * len(values))


@dataclass
class Progress:
    finished_roots: int
    failed_roots: int
    finished_nodes: int


def progress(db: Database, roots: Sequence[str]) -> Optional[Progress]:
    """Roots FINISHED, roots with a FAILED node, FINISHED nodes; None while the database is away."""
    finished = db.try_query(
        f"SELECT COUNT(*) FROM eri_state WHERE node_id IN ({_in(roots)}) AND name = 'FINISHED'", roots
    )
    failed = db.try_query(
        f"SELECT COUNT(DISTINCT root_id) FROM eri_state WHERE root_id IN ({_in(roots)}) AND name = 'FAILED'",
        roots,
    )
    nodes = db.try_query(
        f"SELECT COUNT(*) FROM eri_state WHERE root_id IN ({_in(roots)}) AND name = 'FINISHED'", roots
    )
    if finished is None or failed is None or nodes is None:
        return None
    return Progress(finished[0][0], failed[0][0], nodes[0][0])


def _count(db: Database, sql: str) -> int:
    return int(db.query(sql)[0][0])


def probe_counts(db: Database) -> Dict[str, int]:
    """``double_finished``, ``services_executed_twice`` and ``reentered`` from the probe tables."""
    return {
        "double_finished": _count(
            db,
            "SELECT COUNT(*) FROM (SELECT node_id FROM chaos_finished GROUP BY node_id "
            "HAVING COUNT(*) > 1) t",
        ),
        "services_executed_twice": _count(
            db,
            "SELECT COUNT(*) FROM (SELECT node_id FROM chaos_execute GROUP BY node_id, version "
            "HAVING COUNT(*) > 1) t",
        ),
        "reentered": _count(
            db,
            "SELECT COUNT(*) FROM (SELECT node_id FROM chaos_execute GROUP BY node_id "
            "HAVING COUNT(DISTINCT version) > 1) t",
        ),
        "executes": _count(db, "SELECT COUNT(*) FROM chaos_execute"),
    }


def last_finish(db: Database, roots: Sequence[str]) -> Optional[float]:
    """Epoch seconds of the last root's FINISHED (``archived_time``, written by the runtime, UTC)."""
    rows = db.query(
        f"SELECT MAX(archived_time) FROM eri_state WHERE node_id IN ({_in(roots)}) AND name = 'FINISHED'",
        roots,
    )
    value = rows[0][0] if rows else None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC).timestamp()


def unfinished_roots(db: Database, roots: Sequence[str]) -> List[str]:
    """Roots neither FINISHED nor holding a FAILED node: the lost ones once the deadline passed."""
    done = {
        row[0]
        for row in db.query(
            f"SELECT node_id FROM eri_state WHERE node_id IN ({_in(roots)}) AND name = 'FINISHED'", roots
        )
    }
    failed = {
        row[0]
        for row in db.query(
            f"SELECT DISTINCT root_id FROM eri_state WHERE root_id IN ({_in(roots)}) AND name = 'FAILED'",
            roots,
        )
    }
    return [root for root in roots if root not in done and root not in failed]


def _node_types(db: Database, node_ids: Sequence[str]) -> Dict[str, str]:
    if not node_ids:
        return {}
    rows = db.query(f"SELECT node_id, detail FROM eri_node WHERE node_id IN ({_in(node_ids)})", node_ids)
    types = {}
    for node_id, detail in rows:
        try:
            types[node_id] = json.loads(detail).get("type", "?")
        except (TypeError, ValueError):
            types[node_id] = "?"
    return types


_PROCESS_COLUMNS = ("id", "parent_id", "need_ack", "ack_num", "asleep", "suspended", "node", "root")


def describe_lost(db: Database, lost: Sequence[str]) -> Dict[str, Any]:
    """Where the lost pipelines stand: their live processes by (role, asleep, current node type, state).

    Role: ``root`` (the pipeline's first process), ``parent`` (waiting for children: ``need_ack > 0``)
    or ``child``. The state is the current node's state name, ``none`` when it has no state row.
    """
    if not lost:
        return {}
    processes = db.query(
        "SELECT id, parent_id, need_ack, ack_num, asleep, suspended, current_node_id, root_pipeline_id "
        f"FROM eri_process WHERE dead = 0 AND root_pipeline_id IN ({_in(lost)})",
        lost,
    )
    nodes = sorted({row[6] for row in processes if row[6]})
    types = _node_types(db, nodes)
    states = (
        dict(db.query(f"SELECT node_id, name FROM eri_state WHERE node_id IN ({_in(nodes)})", nodes))
        if nodes
        else {}
    )
    patterns: Counter = Counter()
    for _id, parent_id, need_ack, ack_num, asleep, suspended, node_id, _root in processes:
        role = "parent" if need_ack > 0 else ("root" if parent_id == -1 else "child")
        patterns[
            f"{role} {'asleep' if asleep else 'awake'}{' suspended' if suspended else ''} at "
            f"{types.get(node_id, '?')} state={states.get(node_id, 'none')}"
            + (f" acks={ack_num}/{need_ack}" if need_ack > 0 else "")
        ] += 1
    return {
        "lost_roots": len(lost),
        "live_processes": len(processes),
        "patterns": dict(patterns.most_common()),
        "open_schedules": _open_schedules(db, nodes),
        # to look up in the worker logs (``takeover of process(<id>)``, run with BAMBOO_LOG_LEVEL=INFO)
        "processes": [dict(zip(_PROCESS_COLUMNS, row, strict=True)) for row in processes[:20]],
    }


def _open_schedules(db: Database, nodes: Sequence[str]) -> int:
    if not nodes:
        return 0
    rows = db.query(
        f"SELECT COUNT(*) FROM eri_schedule WHERE node_id IN ({_in(nodes)}) AND finished = 0 AND expired = 0",
        nodes,
    )
    return int(rows[0][0])


def describe_twice(db: Database, limit: int = 20) -> List[Dict[str, Any]]:
    """The nodes finished or executed more than once: their type, state, and every probe row."""
    twice = [
        row[0]
        for row in db.query(
            "SELECT node_id FROM chaos_finished GROUP BY node_id HAVING COUNT(*) > 1 UNION "
            "SELECT node_id FROM chaos_execute GROUP BY node_id, version HAVING COUNT(*) > 1 "
            f"LIMIT {int(limit)}"
        )
    ]
    if not twice:
        return []
    types = _node_types(db, twice)
    states = {
        row[0]: row[1:]
        for row in db.query(
            f"SELECT node_id, name, version, `loop`, started_time, archived_time FROM eri_state "
            f"WHERE node_id IN ({_in(twice)})",
            twice,
        )
    }
    probes: Dict[str, List[tuple]] = {node_id: [] for node_id in twice}
    for table in ("chaos_execute", "chaos_finished"):
        rows = db.query(
            f"SELECT node_id, version, pid, at FROM {table} WHERE node_id IN ({_in(twice)})", twice
        )
        for node_id, version, pid, at in rows:
            probes[node_id].append((at, table.split("_")[1], version, pid))
    return [
        {
            "node_id": node_id,
            "type": types.get(node_id, "?"),
            "state": states.get(node_id),
            "probes": sorted(probes[node_id]),
        }
        for node_id in twice
    ]
