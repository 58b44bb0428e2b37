"""The chaos scenarios: which fault, when, and how it is injected.

Every scenario runs the same workload (50 copies of the 17-node reference pipeline, two gevent workers
``-c 100``); only the fault differs. Fault times count from the moment every pipeline has been started
(``run_pipeline`` returned for the last copy); progress triggers count FINISHED states over the run's
expected states. The worker kills keep fixed times (a run that ended before its kill time says so:
``fault_at_s=na``); the server faults fire at 30 % progress, mid-run whatever the implementation's
speed.
"""

import time
import uuid
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Protocol

EXECUTE_TASK = "pipeline.eri.celery.tasks.execute"
SCHEDULE_TASK = "pipeline.eri.celery.tasks.schedule"


class FaultContext(Protocol):
    """What a fault may touch (implemented by ``benchmark.chaos_run.Run``)."""

    def kill_worker(self, index: int) -> None: ...

    def start_replacement(self) -> None: ...

    def restart_database(self) -> None: ...

    def stop_broker(self) -> None: ...

    def start_broker(self) -> None: ...

    def kill_db_connections(self) -> int: ...

    def publish_poison(self) -> int: ...

    def mark_fault(self) -> None: ...


@dataclass(frozen=True)
class ChaosScenario:
    """One fault.

    Attributes:
        name: the ``--scenario`` value and the ``scenario=`` of the result line.
        description: one line for ``--list`` and the README.
        inject: the fault; it calls ``ctx.mark_fault()`` at the instant the fault takes effect. None: no
            fault injected by the harness (the fault time is then the moment all pipelines started).
        at_s: seconds after all pipelines started (ignored when ``at_progress`` is set).
        at_progress: fire when this fraction of the expected nodes has FINISHED.
        process_fault: ``CHAOS_FAULT`` of the workers and the driver (a fault injected from inside).
    """

    name: str
    description: str
    inject: Optional[Callable[[FaultContext], None]]
    at_s: float = 0.0
    at_progress: Optional[float] = None
    process_fault: str = ""


def _kill_one(ctx: FaultContext) -> None:
    ctx.kill_worker(1)
    ctx.mark_fault()
    ctx.start_replacement()


def _kill_both(ctx: FaultContext) -> None:
    ctx.kill_worker(1)
    ctx.kill_worker(2)
    ctx.mark_fault()
    ctx.start_replacement()
    ctx.start_replacement()


def _broker_pause(seconds: float) -> Callable[[FaultContext], None]:
    def pause(ctx: FaultContext) -> None:
        ctx.stop_broker()
        ctx.mark_fault()
        time.sleep(seconds)
        ctx.start_broker()

    return pause


def _db_restart(ctx: FaultContext) -> None:
    ctx.mark_fault()
    ctx.restart_database()


def _kill_connections(ctx: FaultContext) -> None:
    ctx.kill_db_connections()
    ctx.mark_fault()


def _poison(ctx: FaultContext) -> None:
    ctx.publish_poison()
    ctx.mark_fault()


SCENARIOS: Dict[str, ChaosScenario] = {
    scenario.name: scenario
    for scenario in (
        ChaosScenario("baseline", "no fault (the reference for recover_s: the whole run)", None),
        ChaosScenario("kill-one-1s", "SIGKILL worker 1 at 1 s, start a replacement", _kill_one, at_s=1),
        ChaosScenario("kill-one-3s", "SIGKILL worker 1 at 3 s, start a replacement", _kill_one, at_s=3),
        ChaosScenario("kill-one-6s", "SIGKILL worker 1 at 6 s, start a replacement", _kill_one, at_s=6),
        ChaosScenario(
            "kill-one-20pct",
            "SIGKILL worker 1 when 20 % of the nodes finished, start a replacement",
            _kill_one,
            at_progress=0.2,
        ),
        ChaosScenario("kill-both-3s", "SIGKILL both workers at 3 s, start two new ones", _kill_both, at_s=3),
        ChaosScenario(
            "broker-stop-10s",
            "rabbitmqctl stop_app at 30 % progress, start_app 10 s later (the suite's own RabbitMQ node)",
            _broker_pause(10),
            at_progress=0.3,
        ),
        ChaosScenario(
            "db-restart",
            "restart MariaDB at 30 % progress (SIGTERM, wait, start; the suite's own server)",
            _db_restart,
            at_progress=0.3,
        ),
        ChaosScenario(
            "db-kill-connections",
            "KILL every database connection of the workers at 30 % progress",
            _kill_connections,
            at_progress=0.3,
        ),
        ChaosScenario(
            "duplicate-delivery",
            "every runtime message published twice, identical (workers and driver)",
            None,
            process_fault="duplicate",
        ),
        ChaosScenario(
            "poison",
            "at 1 s: a malformed body, execute/schedule of unknown ids, an unknown task name",
            _poison,
            at_s=1,
        ),
    )
}

#: What ``--scenario all`` runs. Every scenario is safe to run on a shared machine: the broker and
#: database faults hit the suite's private servers only.
DEFAULT_ORDER = tuple(SCENARIOS)


def poison_messages(root_hint: str) -> list:
    """``(task name, body)`` of the poison scenario's messages (Celery protocol 2; bytes: sent raw)."""
    embed = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
    unknown = f"chaos-unknown-{root_hint}"
    headers = {"delivery_token": uuid.uuid4().hex, "timestamp": time.time()}
    execute_kwargs = {
        "process_id": 2**40,
        "node_id": f"{unknown}-node",
        "root_pipeline_id": f"{unknown}-root",
        "parent_pipeline_id": f"{unknown}-root",
        "headers": headers,
    }
    schedule_kwargs = {
        "process_id": 2**40,
        "node_id": f"{unknown}-node",
        "schedule_id": 2**40,
        "callback_data_id": None,
        "headers": dict(headers, delivery_token=uuid.uuid4().hex),
    }
    return [
        (EXECUTE_TASK, b"{this is not json"),
        (EXECUTE_TASK, [[], execute_kwargs, embed]),
        (SCHEDULE_TASK, [[], schedule_kwargs, embed]),
        (EXECUTE_TASK, [[], {"unexpected": "arguments"}, embed]),
        ("chaos.no_such_task", [[], {}, embed]),
    ]
