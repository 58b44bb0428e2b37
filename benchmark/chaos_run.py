"""One chaos run: fresh tables and vhost, two workers, the workload, the fault, the figures.

The figures (one result line per run, see benchmark/README.md "Chaos suite"):

* ``finished``: root pipelines FINISHED by the deadline; ``failed``: roots with a FAILED node;
  ``lost``: the others (neither finished nor failed by the deadline).
* ``double_finished``: nodes with more than one committed FINISHED transition (``chaos_finished``).
* ``services_executed_twice``: (node, state version) pairs whose ``execute`` ran more than once;
  ``reentered``: nodes whose ``execute`` ran under more than one version (the node was entered again).
* ``recover_s``: from the fault to the last root's FINISHED (the runtime's ``archived_time``); ``na``
  when a pipeline was lost. For ``baseline`` and ``duplicate-delivery`` the "fault" is the moment all
  pipelines were started, so ``recover_s`` is the whole run.
"""

import contextlib
import json
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

from benchmark import chaos_measure
from benchmark.chaos_measure import Database
from benchmark.chaos_scenarios import SCHEDULE_TASK, ChaosScenario, poison_messages
from benchmark.chaos_services import PrivateServices, connect
from benchmark.chaos_targets import BENCH_DIR, ChaosTarget
from benchmark.chaos_workers import QUEUES, ChaosWorker

DRIVER_MARKER = "chaos-started "  # benchmark/chaos_driver.py's result line
# State rows of one finished copy: its 17 nodes and the root pipeline.
STATES_PER_COPY = 18
POLL_SECONDS = 0.5
# Deferred re-sends of a duplicate wait for the first delivery's lease (30 s by default) to end.
SETTLE_SECONDS = 45.0


@dataclass
class RunOptions:
    copies: int = 50
    workers: int = 2
    concurrency: int = 100
    deadline: float = 180.0


@dataclass
class Run:
    """Implements the fault context of :mod:`benchmark.chaos_scenarios` for one run."""

    target: ChaosTarget
    scenario: ChaosScenario
    services: PrivateServices
    options: RunOptions
    run_dir: Path
    workers: List[ChaosWorker] = field(default_factory=list)
    fault_time: Optional[float] = None
    fault_progress: Optional[int] = None
    last_progress: Optional[chaos_measure.Progress] = None
    notes: Dict[str, Any] = field(default_factory=dict)

    # ------------------------------------------------------------------ fault context
    def kill_worker(self, index: int) -> None:
        self.workers[index - 1].kill()

    def start_replacement(self) -> None:
        worker = self._new_worker().start()
        worker.wait_ready()

    def restart_database(self) -> None:
        self.services.mariadb.restart()

    def stop_broker(self) -> None:
        self.services.rabbitmq.stop_app()

    def start_broker(self) -> None:
        self.services.rabbitmq.start_app()

    def kill_db_connections(self) -> int:
        connection = connect(self.services.db_port)
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM information_schema.PROCESSLIST WHERE db = %s AND id <> CONNECTION_ID()",
                    [self.target.database],
                )
                ids = [row[0] for row in cursor.fetchall()]
                for thread_id in ids:
                    with contextlib.suppress(Exception):  # it closed on its own meanwhile
                        cursor.execute(f"KILL {int(thread_id)}")
        finally:
            connection.close()
        self.notes["killed_connections"] = len(ids)
        return len(ids)

    def publish_poison(self) -> int:
        from kombu import Connection

        messages = poison_messages(uuid.uuid4().hex[:8])
        with Connection(self.target.broker_url) as broker:
            producer = broker.Producer()
            for task_name, body in messages:
                task_id = str(uuid.uuid4())
                # bytes go out as they are (a body no JSON decoder accepts); the rest is serialized
                raw = {"content_type": "application/json", "content_encoding": "utf-8"}
                producer.publish(
                    body,
                    exchange="",
                    routing_key=QUEUES[1] if task_name == SCHEDULE_TASK else QUEUES[0],
                    headers={"task": task_name, "id": task_id, "lang": "py", "root_id": task_id},
                    **(raw if isinstance(body, bytes) else {"serializer": "json"}),
                )
        self.notes["poison_messages"] = len(messages)
        return len(messages)

    def mark_fault(self) -> None:
        if self.fault_time is None:
            self.fault_time = time.time()
            self.fault_progress = self.last_progress.finished_nodes if self.last_progress else 0

    # ------------------------------------------------------------------ the run
    def _process_env(self) -> Dict[str, str]:
        """Environment of the workers and the driver: the in-process fault and the probes' error log."""
        return {"CHAOS_FAULT": self.scenario.process_fault, "CHAOS_PROBE_DIR": str(self.run_dir)}

    def _new_worker(self) -> ChaosWorker:
        index = len(self.workers) + 1
        worker = ChaosWorker(self.target, index, self.options.concurrency, self.run_dir, self._process_env())
        self.workers.append(worker)
        return worker

    def reset(self) -> None:
        """Empty runtime and probe tables, a fresh vhost (no queue, no message left from a previous run)."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        connection = connect(self.services.db_port, self.target.database)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SHOW TABLES")
                for (table,) in cursor.fetchall():
                    if table.startswith(("eri_", "chaos_")):
                        cursor.execute(f"TRUNCATE TABLE `{table}`")
        finally:
            connection.close()
        self.services.rabbitmq.ctl("delete_vhost", self.target.vhost, check=False)
        self.services.rabbitmq.ensure_vhost(self.target.vhost)

    def start_pipelines(self) -> Dict[str, Any]:
        """Run the driver; returns its JSON line as soon as it is printed (not when the driver exits)."""
        with open(self.run_dir / "driver.log", "ab") as log:
            driver = subprocess.Popen(
                [str(self.target.python), str(BENCH_DIR / "chaos_driver.py"), str(self.options.copies)],
                cwd=self.target.cwd,
                env=self.target.env(**self._process_env()),
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        assert driver.stdout is not None
        for line in driver.stdout:
            if line.startswith(DRIVER_MARKER):
                # the rest of its output is not needed: let it drain and exit on its own
                threading.Thread(target=driver.communicate, name="chaos-driver-reaper", daemon=True).start()
                return json.loads(line[len(DRIVER_MARKER) :])
        driver.wait()
        log_text = (self.run_dir / "driver.log").read_text(errors="replace")
        raise RuntimeError(f"chaos driver failed ({driver.returncode}): {log_text[-2000:]}")

    def execute(self) -> Dict[str, Any]:
        self.reset()
        for _ in range(self.options.workers):
            self._new_worker().start()
        for worker in self.workers:
            worker.wait_ready()
        db = Database(self.services.db_port, self.target.database)
        try:
            started = self.start_pipelines()
            roots, t0 = started["roots"], started["all_started"]
            if self.scenario.inject is None:  # a fault from the start (or none): the run is the recovery
                self.fault_time, self.fault_progress = t0, 0
            fault = self._watch(db, roots, t0)
            if fault is not None:
                fault.join(180)
            self._settle()
        finally:
            for worker in self.workers:
                worker.stop()
        try:
            return self._figures(db, roots, t0, started)
        finally:
            db.close()

    def _due(self, t0: float) -> bool:
        if self.scenario.at_progress is not None:
            done = self.last_progress.finished_nodes if self.last_progress else 0
            return done >= self.scenario.at_progress * self.options.copies * STATES_PER_COPY
        return time.time() >= t0 + self.scenario.at_s

    def _watch(self, db: Database, roots: List[str], t0: float) -> Optional[threading.Thread]:
        """Poll until every root finished or failed (or the deadline); fire the fault when it is due."""
        fault: Optional[threading.Thread] = None
        while True:
            current = chaos_measure.progress(db, roots)
            if current is not None:
                self.last_progress = current
            if fault is None and self.scenario.inject is not None and self._due(t0):
                inject = self.scenario.inject
                fault = threading.Thread(target=inject, args=(self,), name="chaos-fault", daemon=True)
                fault.start()
            ended = current is not None and current.finished_roots + current.failed_roots == len(roots)
            if ended and (fault is None or not fault.is_alive()):
                return fault
            if time.time() > t0 + self.options.deadline:
                return fault
            time.sleep(POLL_SECONDS)

    def _settle(self) -> None:
        """Give the workers the messages still queued (duplicates, deferred re-sends) before counting."""
        deadline = time.monotonic() + SETTLE_SECONDS
        depth = self.services.rabbitmq.queue_depth(self.target.vhost)
        while depth != 0 and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
            depth = self.services.rabbitmq.queue_depth(self.target.vhost)
        self.notes["leftover_msgs"] = depth

    def _figures(self, db: Database, roots: List[str], t0: float, started: Dict[str, Any]) -> Dict[str, Any]:
        final = chaos_measure.progress(db, roots) or chaos_measure.Progress(0, 0, 0)
        lost = chaos_measure.unfinished_roots(db, roots)
        end = chaos_measure.last_finish(db, roots)
        figures: Dict[str, Any] = {
            "pipelines": len(roots),
            "finished": final.finished_roots,
            "failed": final.failed_roots,
            "lost": len(lost),
            **chaos_measure.probe_counts(db),
            "recover_s": round(end - self.fault_time, 2) if end and self.fault_time and not lost else None,
            "fault_at_s": round(self.fault_time - t0, 2) if self.fault_time else None,
            "progress_at_fault": round(self.fault_progress / (len(roots) * STATES_PER_COPY), 2)
            if self.fault_progress is not None
            else None,
            "wall_s": round(end - t0, 2) if end else None,
            "start_s": round(started["all_started"] - started["first_start"], 2),
            "probe_errors": sum(
                len(path.read_text().splitlines()) for path in self.run_dir.glob("probe-errors-*.log")
            ),
            "worker_tracebacks": sum(worker.tracebacks() for worker in self.workers),
            **self.notes,
        }
        if figures["double_finished"] or figures["services_executed_twice"]:
            twice = chaos_measure.describe_twice(db)
            (self.run_dir / "twice.json").write_text(json.dumps(twice, indent=2, default=str))
        if lost:
            figures["lost_detail"] = chaos_measure.describe_lost(db, lost)
            detail = json.dumps({"roots": lost, **figures}, indent=2, default=str)
            (self.run_dir / "lost.json").write_text(detail)
        return figures


def result_line(target: ChaosTarget, scenario: str, figures: Dict[str, Any]) -> str:
    """``scenario=... pipelines=N finished=F double_finished=D services_executed_twice=S lost=L recover_s=R``
    followed by the context and the secondary figures (``na``: not measured or not applicable)."""

    def show(key: str) -> str:
        value = figures.get(key)
        return "na" if value is None else str(value)

    head = ("pipelines", "finished", "double_finished", "services_executed_twice", "lost", "recover_s")
    tail = (
        "failed",
        "reentered",
        "fault_at_s",
        "progress_at_fault",
        "wall_s",
        "leftover_msgs",
        "probe_errors",
    )
    return " ".join(
        [f"scenario={scenario}"]
        + [f"{key}={show(key)}" for key in head]
        + [f"impl={target.impl}", f"settings={target.settings}"]
        + [f"{key}={show(key)}" for key in tail]
    )
