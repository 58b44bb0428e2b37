"""Interrupt injection for the contract suite: one runtime call fails like a lost database connection.

A test asks its harness for ``inject_interrupt(method, after=..., **match)``: the next call of the
runtime method ``method`` whose arguments equal ``match`` raises one of the runtime's interrupt errors,
before the call took effect or (``after=True``) once it did. Each backend does it its own way:

* in-memory runtimes: ``InMemoryRuntime.inject_interrupt`` with a ``when`` filter;
* ``django-sqlite`` (tasks run in the test's thread): the ``BambooDjangoRuntime`` method is patched for
  the test and raises ``django.db.OperationalError``;
* ``django-mariadb`` (tasks run in a worker process): the test writes the plan as a JSON file into the
  session's probe directory; the contract worker patched the injectable methods at start
  (:func:`install_in_worker`), reads the plans and appends a line to ``<plan>.raised`` each time it
  raises, which is how the test learns the count.
"""

import functools
import inspect
import json
import os
import threading
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Tuple

#: Runtime methods the worker-side injector can interrupt (the writes a node's run makes).
INJECTABLE_METHODS = (
    "set_state",
    "set_execution_data",
    "set_execution_data_outputs",
    "set_pipeline_stack",
    "upsert_plain_context_values",
    "finish_schedule",
    "child_process_finish",
    "die",
)
PLANS_DIR = "interrupts"


@dataclass
class InterruptPlan:
    """Raise in ``times`` calls of ``method`` whose arguments equal ``match`` (before or after them)."""

    method: str
    match: Dict[str, Any]
    after: bool = False
    times: int = 1
    id: str = field(default_factory=lambda: uuid.uuid4().hex)

    def matches(self, function: Callable, args: Tuple[Any, ...], kwargs: Dict[str, Any]) -> bool:
        """Whether a call of ``function`` (unbound, ``self`` in ``args``, or bound) is targeted."""
        try:
            arguments = inspect.signature(function).bind(*args, **kwargs).arguments
        except TypeError:
            return False
        return all(arguments.get(name) == value for name, value in self.match.items())


class InterruptHandle:
    """What a test reads back: how many times the plan raised."""

    def __init__(self, count: Callable[[], int]):
        self._count = count

    @property
    def raised(self) -> int:
        return self._count()


def patch_method(
    owner: Any, plan: InterruptPlan, error: Callable[[str], Exception], setter: Callable
) -> Callable:
    """Replace ``owner.<plan.method>`` (a class) by a wrapper raising ``error`` per ``plan``.

    Returns:
        A function giving the number of errors raised so far.
    """
    original = getattr(owner, plan.method)
    lock = threading.Lock()
    raised = [0]

    def should_raise() -> bool:
        with lock:
            if raised[0] >= plan.times:
                return False
            raised[0] += 1
            return True

    @functools.wraps(original)
    def interrupted(*args: Any, **kwargs: Any) -> Any:
        if not plan.matches(original, args, kwargs):
            return original(*args, **kwargs)
        if not plan.after and should_raise():
            raise error(f"injected interruption of {plan.method}")
        result = original(*args, **kwargs)
        if plan.after and should_raise():
            raise error(f"injected interruption after {plan.method}")
        return result

    setter(owner, plan.method, interrupted)
    return lambda: raised[0]


# ------------------------------------------------------------------------------ worker process side


def write_plan(probe_dir: Path, plan: InterruptPlan) -> InterruptHandle:
    """Hand ``plan`` to the worker processes of the session whose probe directory is ``probe_dir``."""
    directory = probe_dir / PLANS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    temporary = directory / f".{plan.id}.tmp"
    temporary.write_text(json.dumps(asdict(plan)))
    temporary.rename(directory / f"{plan.id}.json")  # atomic: a worker never reads half a plan
    raised_file = directory / f"{plan.id}.raised"
    return InterruptHandle(lambda: len(raised_file.read_text().splitlines()) if raised_file.exists() else 0)


def remove_plans(probe_dir: Path, plans: list) -> None:
    for plan in plans:
        for suffix in (".json", ".raised"):
            (probe_dir / PLANS_DIR / f"{plan.id}{suffix}").unlink(missing_ok=True)


class _WorkerPlans:
    """The plans a worker process applies, re-read whenever the plans directory changed."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._lock = threading.Lock()
        self._mtime = None
        self._plans: Dict[str, InterruptPlan] = {}
        self._raised: Dict[str, int] = {}

    def current(self) -> Dict[str, InterruptPlan]:
        try:
            mtime = self.directory.stat().st_mtime_ns
        except FileNotFoundError:
            return {}
        with self._lock:
            if mtime != self._mtime:
                self._mtime = mtime
                self._plans = {}
                for path in self.directory.glob("*.json"):
                    plan = InterruptPlan(**json.loads(path.read_text()))
                    self._plans[plan.id] = plan
            return self._plans

    def claim(self, plan: InterruptPlan) -> bool:
        """Count one raise of ``plan`` if it has raises left (and tell the test through its file)."""
        with self._lock:
            done = self._raised.get(plan.id, 0)
            if done >= plan.times:
                return False
            self._raised[plan.id] = done + 1
        with open(self.directory / f"{plan.id}.raised", "a") as raised_file:
            raised_file.write("raised\n")
        return True


def install_in_worker(probe_dir: str) -> None:
    """Patch the injectable ``BambooDjangoRuntime`` methods of this (worker) process to follow plans."""
    from django.db import OperationalError

    from pipeline.eri.runtime import BambooDjangoRuntime

    plans = _WorkerPlans(Path(probe_dir) / PLANS_DIR)
    for method in INJECTABLE_METHODS:
        original = getattr(BambooDjangoRuntime, method)

        def interrupted(
            *args: Any, _original: Callable = original, _method: str = method, **kwargs: Any
        ) -> Any:
            targeted = [
                plan
                for plan in plans.current().values()
                if plan.method == _method and plan.matches(_original, args, kwargs)
            ]
            for plan in targeted:
                if not plan.after and plans.claim(plan):
                    raise OperationalError(f"injected interruption of {_method}")
            result = _original(*args, **kwargs)
            for plan in targeted:
                if plan.after and plans.claim(plan):
                    raise OperationalError(f"injected interruption after {_method}")
            return result

        setattr(BambooDjangoRuntime, method, functools.wraps(original)(interrupted))


def install_from_environment() -> None:
    """Called by the contract worker at start (``tests.integration.worker_plugins``)."""
    probe_dir = os.environ.get("BAMBOO_TEST_PROBE_DIR")
    if probe_dir:
        install_in_worker(probe_dir)
