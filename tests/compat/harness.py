"""The compat project on the integration machinery: its own database and vhost, gevent workers.

:class:`CompatSession` is an integration :class:`~tests.integration.env.Session` whose processes load
``compat_project.settings`` (``tests/compat/project``) instead of the playground's; :class:`CompatWorker`
starts ``celery -A compat_project worker`` in the project's directory, like a deployment of that project
would. Django is configured in this process with the same settings, so the tests call the APIs and read
the tables exactly as the project's own code does.
"""

import os
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional
from urllib.parse import unquote, urlparse

from tests.integration.env import MYSQL_URL, REPO_ROOT, DjangoConfiguredElsewhere, Session, Worker, wait_until

PROJECT_DIR = Path(__file__).resolve().parent / "project"
SETTINGS_MODULE = "compat_project.settings"
#: The queues of an upstream project: the runtime's defaults and plugin_execute's.
DEFAULT_QUEUES = ("er_execute", "er_schedule", "plugin_execute")
TIMEOUT = 60.0


class CompatSession(Session):
    """A session whose processes run the compat project."""

    def __init__(self, base_dir: Path) -> None:
        super().__init__(base_dir)
        self.fault_dir = base_dir / "faults"

    def env(self, **extra: str) -> Dict[str, str]:
        env = dict(os.environ)
        mysql = urlparse(MYSQL_URL)
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
            COMPAT_DB_NAME=self.name,
            COMPAT_DB_HOST=mysql.hostname or "127.0.0.1",
            COMPAT_DB_PORT=str(mysql.port or 3306),
            COMPAT_DB_USER=unquote(mysql.username or "root"),
            COMPAT_DB_PASSWORD=unquote(mysql.password or ""),
            COMPAT_BROKER_URL=self.broker_url,
            COMPAT_FAULT_DIR=str(self.fault_dir),
            BAMBOO_TEST_PROBE_DIR=str(self.probe_dir),
            BAMBOO_TEST_PARENT_PID=str(os.getpid()),
            PYTHONPATH=os.pathsep.join(
                filter(None, [str(PROJECT_DIR), str(REPO_ROOT), env.get("PYTHONPATH")])
            ),
        )
        env.update(extra)
        return env

    def setup_django(self) -> None:
        from django.conf import settings

        if settings.configured:
            if settings.DATABASES["default"].get("NAME") != self.name:
                raise DjangoConfiguredElsewhere(
                    "Django is already configured in this pytest process; the compat suite runs in its own: "
                    "`make compat`"
                )
            return
        self.fault_dir.mkdir(parents=True, exist_ok=True)
        os.environ.update(
            {key: value for key, value in self.env().items() if key.startswith(("COMPAT_", "DJANGO_"))}
        )
        if str(PROJECT_DIR) not in sys.path:
            sys.path.insert(0, str(PROJECT_DIR))
        import django

        django.setup()

    def fault_after_state(self, node_id: str, state: str) -> None:
        """Make the project's ``post_set_state`` receiver raise once right after ``node_id`` got ``state``."""
        (self.fault_dir / f"{node_id}.{state}").touch()


class CompatWorker(Worker):
    """``celery -A compat_project worker`` started in the project's directory."""

    celery_app = "compat_project"
    cwd = PROJECT_DIR

    def command(self) -> List[str]:
        # The integration workers' watchdog and finish probe, loaded without touching the project's settings.
        return super().command() + ["-I", "tests.integration.worker_plugins"]


# ------------------------------------------------------------------------------------------ helpers
def runtime():
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()


def ok(result) -> Any:
    """The data of a successful API result (an assertion error with the message otherwise)."""
    assert result.result, f"api call failed: {result.message}\n{getattr(result, 'exc_trace', '')}"
    return result.data


def run(tree: dict, priority: int = 100, queue: str = "", data: Optional[dict] = None) -> str:
    """``api.run_pipeline`` of ``tree`` on the Django runtime; returns the root pipeline id."""
    from bamboo_engine import api

    ok(api.run_pipeline(runtime(), tree, root_pipeline_data=data or {}, priority=priority, queue=queue))
    return tree["id"]


def state_of(node_id: str) -> Optional[str]:
    from pipeline.eri.models import State

    return State.objects.filter(node_id=node_id).values_list("name", flat=True).first()


def describe(root_id: str) -> str:
    """Every state under ``root_id`` and the failed nodes' outputs, for failure messages."""
    from pipeline.eri.models import ExecutionData, State

    states = dict(State.objects.filter(root_id=root_id).values_list("node_id", "name"))
    states[root_id] = state_of(root_id)
    failed = [node_id for node_id, name in states.items() if name == "FAILED"]
    outputs = dict(ExecutionData.objects.filter(node_id__in=failed).values_list("node_id", "outputs"))
    return f"states: {states}; failed outputs: { {k: v[:500] for k, v in outputs.items()} }"


ENDED = ("FINISHED", "FAILED")


def wait_states(expected: Dict[str, str], root_id: str, worker: Worker, timeout: float = TIMEOUT) -> None:
    """Poll until every node of ``expected`` is in its state; the error shows where the run is.

    Stops early when a node ended the other way (FINISHED instead of FAILED, or the reverse), or when a
    node under ``root_id`` FAILED while the root is expected to finish.
    """

    def reached() -> bool:
        current = {node_id: state_of(node_id) for node_id in expected}
        ended_otherwise = {
            node_id: name
            for node_id, name in current.items()
            if name in ENDED and expected[node_id] in ENDED and name != expected[node_id]
        }
        if expected.get(root_id) == "FINISHED" and failed_under(root_id):
            ended_otherwise[root_id] = "a node FAILED"
        if ended_otherwise:
            raise EndedOtherwise(f"expected {expected}, but {ended_otherwise}")
        return current == expected

    try:
        wait_until(reached, timeout, f"states {expected}", interval=0.2)
    except (TimeoutError, EndedOtherwise) as err:
        raise AssertionError(f"{err}\n{describe(root_id)}\nworker log:\n{worker.log_tail()}") from None


class EndedOtherwise(Exception):
    """A node awaited by :func:`wait_states` reached the other end state."""


def failed_under(root_id: str) -> bool:
    from pipeline.eri.models import State

    return State.objects.filter(root_id=root_id, name="FAILED").exists()


def wait_finished(root_id: str, worker: Worker, timeout: float = TIMEOUT) -> None:
    wait_states({root_id: "FINISHED"}, root_id, worker, timeout)


def execution_data(node_id: str) -> Dict[str, Any]:
    """``api.get_execution_data`` of ``node_id``: ``{"inputs": ..., "outputs": ...}``."""
    from bamboo_engine import api

    return ok(api.get_execution_data(runtime(), node_id))


def records(node_ids: Iterable[str], source: Optional[str] = None) -> List[Any]:
    """The project's ``HookRecord`` rows of ``node_ids`` (optionally of one source), oldest first."""
    from compat_plugins.models import HookRecord

    rows = HookRecord.objects.filter(node_id__in=list(node_ids)).order_by("id")
    if source is not None:
        rows = rows.filter(source=source)
    return list(rows)


def version_of(node_id: str) -> str:
    from pipeline.eri.models import State

    return State.objects.filter(node_id=node_id).values_list("version", flat=True).get()


def callback(node_id: str, data: dict, version: Optional[str] = None):
    """``api.callback`` of ``node_id``'s current (or the given) version; returns the API result."""
    from bamboo_engine import api

    return api.callback(runtime(), node_id, version or version_of(node_id), data)


def wait_schedule_waiting(node_id: str, worker: Worker, timeout: float = TIMEOUT) -> Any:
    """Wait until ``node_id`` has a schedule row for its current version; returns the row."""
    from pipeline.eri.models import Schedule

    def waiting():
        if state_of(node_id) != "RUNNING":
            return None
        return Schedule.objects.filter(node_id=node_id, version=version_of(node_id)).first()

    try:
        return wait_until(waiting, timeout, f"a schedule of {node_id}", interval=0.2)
    except TimeoutError as err:
        raise AssertionError(f"{err}; state {state_of(node_id)}\nworker log:\n{worker.log_tail()}") from None
