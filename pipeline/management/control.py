"""Shared helpers of the operator commands: runtime, worker scope, state tables, api errors.

The commands (``run_pipeline``, ``pipeline_states``, ``pause_pipeline``, ``resume_pipeline``,
``revoke_pipeline``, ``retry_node``, ``skip_node``, ``callback_node``) are thin wrappers over
:mod:`bamboo_engine.api` on :class:`~pipeline.eri.runtime.BambooDjangoRuntime`. An api call that fails
becomes a ``CommandError`` naming the operation, the id and the problem (unknown id, wrong state).

With the ``memory://`` broker (``CELERY_BROKER_URL``) messages live in the command's own process: a
command that makes a pipeline move runs an in-process worker (:mod:`pipeline.eri.embedded`) until the
run has nothing left to do, or ``--timeout`` expires.
"""

import contextlib
import json
import logging
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence

from django.core.management.base import BaseCommand, CommandError

from bamboo_engine.api import EngineAPIResult
from bamboo_engine.eri import NodeType, State
from bamboo_engine.exceptions import NotFoundError
from pipeline.eri.embedded import embedded_worker, is_embedded, wait_until_settled

#: Seconds a command keeps the embedded worker running by default.
DEFAULT_TIMEOUT = 60.0
#: Characters of a failed node's ``ex_data`` shown in the NOTE column.
NOTE_WIDTH = 60


def get_runtime():
    """A fresh :class:`~pipeline.eri.runtime.BambooDjangoRuntime` (cheap: it holds no state)."""
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()


# ------------------------------------------------------------------------------------- worker scope
@contextlib.contextmanager
def worker_scope() -> Iterator[None]:
    """Run the embedded worker for the block when the broker is ``memory://``; else do nothing."""
    if not is_embedded():
        yield
        return
    with embedded_worker():
        yield


def settle(timeout: float, done: Optional[Callable[[], bool]] = None) -> None:
    """Let the embedded worker work until the run is quiet (and ``done()``); no-op with a real broker.

    Raises:
        CommandError: still busy after ``timeout`` seconds.
    """
    if not is_embedded():
        return
    try:
        wait_until_settled(timeout=timeout, done=done)
    except TimeoutError as err:
        raise CommandError(f"{err}; the pipeline goes on only while a worker runs (see docs/workers.md)")


# --------------------------------------------------------------------------------------- api errors
class _ApiFailureFilter(logging.Filter):
    """Drops ``bamboo_engine.api`` failure tracebacks logged by one thread (the command reports them)."""

    def __init__(self, thread_id: int):
        super().__init__()
        self.thread_id = thread_id

    def filter(self, record: logging.LogRecord) -> bool:
        is_api_failure = str(record.msg).startswith("bamboo_engine.api.")
        return not (is_api_failure and record.thread == self.thread_id)


@contextlib.contextmanager
def quiet_api_errors() -> Iterator[None]:
    """Silence the api's own traceback of a refused call in this thread: the CommandError says it."""
    engine_logger = logging.getLogger("bamboo_engine")
    api_filter = _ApiFailureFilter(threading.get_ident())
    engine_logger.addFilter(api_filter)
    try:
        yield
    finally:
        engine_logger.removeFilter(api_filter)


def api_data(result: EngineAPIResult, operation: str, target_id: str) -> Any:
    """``result.data``, or a ``CommandError`` naming ``operation``, ``target_id`` and the problem."""
    if result.result:
        return result.data
    exc = result.exc
    if isinstance(exc, NotFoundError):
        raise CommandError(f"{operation}: unknown id {target_id!r} ({exc})")
    raise CommandError(f"{operation} {target_id!r} refused: {exc}")


def root_id_of(runtime, node_id: str, operation: str) -> str:
    """The root pipeline id of a node (or pipeline) that has a state.

    Raises:
        CommandError: no state exists for ``node_id``.
    """
    state = runtime.get_state_or_none(node_id)
    if state is None:
        raise CommandError(f"{operation}: unknown id {node_id!r} (no pipeline or node has run with it)")
    return state.root_id


def parse_json(text: str, what: str) -> Any:
    """Parse ``text`` as JSON, or read it from a file when it starts with ``@``.

    Raises:
        CommandError: unreadable file or invalid JSON, naming ``what``.
    """
    source = text
    if text.startswith("@"):
        try:
            source = Path(text[1:]).read_text(encoding="utf-8")
        except OSError as err:
            raise CommandError(f"{what}: can not read {text[1:]!r}: {err.strerror}")
    try:
        return json.loads(source)
    except json.JSONDecodeError as err:
        raise CommandError(f"{what}: invalid JSON ({err})")


# ------------------------------------------------------------------------------------------ tables
def render_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Rows as left-aligned columns under a header and a rule."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max([len(header)] + [len(row[index]) for row in cells]) for index, header in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        return "  ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)).rstrip()

    return "\n".join([line(headers), line(["-" * width for width in widths])] + [line(row) for row in cells])


STATE_HEADERS = ("NODE", "TYPE", "STATE", "RETRY", "SKIP", "ID", "NOTE")


def _ordered(states: List[State], root_id: str) -> List[tuple]:
    """``(depth, state)`` depth-first: each pipeline's nodes in the order they started."""
    children: Dict[str, List[State]] = {}
    for state in states:
        if state.node_id != root_id:
            children.setdefault(state.parent_id, []).append(state)
    ordered: List[tuple] = []

    def visit(parent_id: str, depth: int) -> None:
        for state in sorted(children.get(parent_id, []), key=lambda s: (s.created_time, s.node_id)):
            ordered.append((depth, state))
            visit(state.node_id, depth + 1)

    visit(root_id, 0)
    return ordered


def _describe(runtime, node_id: str) -> tuple:
    """``(name, type)`` of a node; the type of an activity is its component code."""
    try:
        node = runtime.get_node(node_id)
    except NotFoundError:
        return node_id, "?"
    kind = getattr(node, "code", None) if node.type == NodeType.ServiceActivity else node.type.value
    return node.name or node.type.value, kind


def _note(runtime, state: State) -> str:
    if state.name != "FAILED":
        return ""
    ex_data = str(runtime.get_execution_data_outputs(state.node_id).get("ex_data", ""))
    first_line = ex_data.strip().splitlines()[-1] if ex_data.strip() else ""
    return first_line if len(first_line) <= NOTE_WIDTH else first_line[: NOTE_WIDTH - 3] + "..."


def state_rows(runtime, root_id: str) -> List[list]:
    """One row per node that has a state, nested nodes of subprocesses indented under them."""
    rows = []
    for depth, state in _ordered(runtime.get_state_by_root(root_id), root_id):
        name, kind = _describe(runtime, state.node_id)
        skip = "yes" if state.skip else ""
        note = _note(runtime, state)
        rows.append([f"{'  ' * depth}{name}", kind, state.name, state.retry, skip, state.node_id, note])
    return rows


def pipeline_report(runtime, root_id: str) -> str:
    """The state line, the node table and the outputs of a root pipeline.

    Raises:
        CommandError: no pipeline has ``root_id``.
    """
    root = runtime.get_state_or_none(root_id)
    if root is None:
        raise CommandError(f"pipeline_states: unknown id {root_id!r} (no pipeline has run with it)")
    if root.root_id != root_id:
        raise CommandError(
            f"pipeline_states: {root_id!r} is a node of pipeline {root.root_id!r}; pass the pipeline id"
        )
    outputs = runtime.get_execution_data_outputs(root_id)
    lines = [f"pipeline {root_id}: {root.name}", render_table(STATE_HEADERS, state_rows(runtime, root_id))]
    lines.append(
        "outputs: " + (json.dumps(outputs, sort_keys=True, default=str) if outputs else "(none yet)")
    )
    return "\n".join(lines)


# ------------------------------------------------------------------------------------ base command
class ControlCommand(BaseCommand):
    """A control operation on one id, then the pipeline's table once the run is quiet again.

    Subclasses set ``operation`` and ``help`` and implement :meth:`apply` (call the api, return its
    result); ``moves`` is False for operations that dispatch nothing (pause, revoke).
    """

    operation = ""
    id_help = "id of the node"
    moves = True

    def add_arguments(self, parser):
        parser.add_argument("id", help=self.id_help)
        parser.add_argument(
            "--timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            help="embedded broker only: seconds to keep the in-process worker running (default %(default)s)",
        )

    def apply(self, runtime, target_id: str, options: dict) -> EngineAPIResult:
        raise NotImplementedError

    def handle(self, *args, **options):
        runtime = get_runtime()
        target_id = options["id"]
        # Pause and revoke only write states: no message to run, no worker to start.
        with worker_scope() if self.moves else contextlib.nullcontext():
            with quiet_api_errors():
                result = self.apply(runtime, target_id, options)
            api_data(result, self.operation, target_id)
            self.stdout.write(f"{self.operation} {target_id}: done")
            root_id = root_id_of(runtime, target_id, self.operation)
            if self.moves:
                settle(options["timeout"])
            self.stdout.write(pipeline_report(runtime, root_id))
