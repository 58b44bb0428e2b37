"""Where template fragments are evaluated: in this process (default) or in isolated worker processes.

A backend turns fragments into text (or ``None`` = leave the fragment as is). Template problems never
raise; a backend that cannot do its job raises :class:`~bamboo_engine.exceptions.RenderInfrastructureError`
so the node fails visibly instead of silently rendering nothing.
"""

import logging
import os
import pickle
import sys
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.template.fragment import evaluate_fragment, fragment_references
from bamboo_engine.template.render_settings import DEFAULT_ENV_SCRUB, read_render_settings
from bamboo_engine.utils.mako_safety import SandboxOptions, current_sandbox_options

logger = logging.getLogger("bamboo_engine")


class RenderBackend(ABC):
    """Evaluates template fragments against a context."""

    @abstractmethod
    def render_fragments(self, fragments: Sequence[str], context: Mapping[str, Any]) -> List[Optional[str]]:
        """Render each ``${...}`` fragment; ``None`` for a fragment that must stay unrendered.

        Raises:
            RenderInfrastructureError: the backend itself failed.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release resources (worker processes); the default backend has none."""


def _evaluate_all(fragments: Sequence[str], context: Mapping[str, Any], options: SandboxOptions):
    return [evaluate_fragment(fragment, context, options) for fragment in fragments]


class InProcessRenderBackend(RenderBackend):
    """Evaluates fragments in the calling thread with the sandboxed evaluator."""

    def render_fragments(self, fragments: Sequence[str], context: Mapping[str, Any]) -> List[Optional[str]]:
        return _evaluate_all(fragments, context, current_sandbox_options())


# --------------------------------------------------------------------------------------- worker pool

CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class WorkerIsolation:
    """What a render worker does to itself before it reads its first request.

    Attributes:
        memory_limit_mb: address-space limit (``RLIMIT_AS``); None or 0: unlimited.
        cpu_limit_s: CPU seconds over the worker's life (``RLIMIT_CPU``); None or 0: unlimited.
        env_scrub: environment variables whose name contains one of these (any case) are removed.
        no_network: enter an empty network namespace; a worker that can not is refused, never used.
    """

    memory_limit_mb: Optional[int] = 1024
    cpu_limit_s: Optional[int] = None
    env_scrub: Tuple[str, ...] = ()
    no_network: bool = False


def _set_limit(resource_id: int, value: int) -> None:
    import resource

    _, hard = resource.getrlimit(resource_id)
    limit = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(resource_id, (limit, limit))


def _apply_limits(isolation: WorkerIsolation) -> None:
    try:
        import resource

        if isolation.memory_limit_mb:
            _set_limit(resource.RLIMIT_AS, isolation.memory_limit_mb * 1024 * 1024)
        if isolation.cpu_limit_s:
            _set_limit(resource.RLIMIT_CPU, isolation.cpu_limit_s)
    except (ImportError, ValueError, OSError) as err:  # pragma: no cover - platform dependent
        logger.warning("render worker could not limit its resources: %s", err)


def _scrub_environment(patterns: Sequence[str]) -> None:
    lowered = [pattern.lower() for pattern in patterns if pattern]
    for name in [name for name in os.environ if any(p in name.lower() for p in lowered)]:
        del os.environ[name]


def _leave_network() -> None:
    """Enter a new, empty network namespace (as root, or through a user namespace otherwise).

    Raises:
        OSError: the platform or the process's privileges allow neither.
    """
    if not sys.platform.startswith("linux"):
        raise OSError("network namespaces need Linux")
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0 or libc.unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0:
        return
    errno = ctypes.get_errno()
    raise OSError(errno, f"unshare(CLONE_NEWNET) failed: {os.strerror(errno)}")


def _isolate(isolation: WorkerIsolation) -> Optional[str]:
    """Isolate this worker process; returns why it could not (None: isolated as asked)."""
    _scrub_environment(isolation.env_scrub)
    if isolation.no_network:
        try:
            _leave_network()
        except OSError as err:
            return f"the render worker could not leave the network (no_network): {err}"
    _apply_limits(isolation)
    return None


def _worker_main(connection: Any, isolation: WorkerIsolation) -> None:
    """Worker loop: isolate, then receive ``(fragments, context, options)``, answer ``("ok", results)``.

    A worker that could not isolate itself answers every request with the reason, so each render
    fails visibly instead of running without the isolation that was asked for.
    """
    refused = _isolate(isolation)
    while True:
        try:
            request = connection.recv_bytes()
        except (EOFError, OSError):
            return
        if refused is not None:
            connection.send(("error", refused))
            continue
        try:
            # The request comes from the parent process over a private pipe, never from a user.
            connection.send(("ok", _evaluate_all(*pickle.loads(request))))  # noqa: S301
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the parent
            connection.send(("error", f"{type(err).__name__}: {err}"))


class _Worker:
    """One worker process, our end of its pipe, and how many requests it served."""

    def __init__(self, mp_context: Any, isolation: WorkerIsolation) -> None:
        self.connection, child_end = mp_context.Pipe()
        self.process = mp_context.Process(
            target=_worker_main, args=(child_end, isolation), name="bamboo-render-worker", daemon=True
        )
        self.process.start()
        child_end.close()
        self.uses = 0

    def request(self, payload: bytes, timeout: float) -> List[Optional[str]]:
        self.uses += 1
        try:
            self.connection.send_bytes(payload)
            if not self.connection.poll(timeout):
                raise RenderInfrastructureError(f"render worker did not answer within {timeout}s")
            status, result = self.connection.recv()
        except (EOFError, OSError) as err:
            raise RenderInfrastructureError(f"render worker died: {err!r}") from err
        if status != "ok":
            raise RenderInfrastructureError(f"render worker failed: {result}")
        return result

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(timeout=5)
        self.connection.close()


class SubprocessPoolRenderBackend(RenderBackend):
    """Evaluates fragments in a pool of isolated worker processes with a timeout and resource limits.

    Only the context values the fragments reference are sent. A worker that times out or dies is killed
    and replaced on the next call; one that served ``max_uses`` requests is replaced too.

    Args:
        processes: maximum number of worker processes.
        timeout: seconds one render call may take.
        start_method: multiprocessing start method ("spawn" isolates best; "fork" starts fastest).
        memory_limit_mb: address-space limit of each worker (None: unlimited).
        cpu_limit_s: CPU seconds each worker may use over its life (None: unlimited).
        max_uses: requests a worker serves before it is replaced (None: no limit).
        env_scrub: workers drop the environment variables whose name contains one of these (any case).
        no_network: workers render in an empty network namespace; renders fail if they can not enter one.
        fallback_inprocess: a context that can not be sent to a worker is rendered in this process
            instead of failing the render.
    """

    def __init__(
        self,
        processes: int = 2,
        timeout: float = 5.0,
        start_method: str = "spawn",
        memory_limit_mb: Optional[int] = 1024,
        cpu_limit_s: Optional[int] = None,
        max_uses: Optional[int] = None,
        env_scrub: Sequence[str] = (),
        no_network: bool = False,
        fallback_inprocess: bool = False,
    ) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        self.timeout = timeout
        self.start_method = start_method
        self.isolation = WorkerIsolation(memory_limit_mb, cpu_limit_s, tuple(env_scrub), no_network)
        self.max_uses = max_uses
        self.fallback_inprocess = fallback_inprocess
        self.processes = processes
        self._start_afresh()

    def _start_afresh(self) -> None:
        self._owner_pid = os.getpid()
        self._slots = threading.BoundedSemaphore(self.processes)
        self._idle: List[_Worker] = []
        self._all: List[_Worker] = []
        self._lock = threading.Lock()

    def _forget_inherited_workers(self) -> None:
        # A forked child (a prefork Celery worker) inherits the parent's pool: those workers, pipes and
        # locks are the parent's. Drop our copies of the pipes and start a pool of our own.
        if self._owner_pid == os.getpid():
            return
        for worker in self._all:
            worker.connection.close()
        self._start_afresh()

    @property
    def memory_limit_mb(self) -> Optional[int]:
        return self.isolation.memory_limit_mb

    def render_fragments(self, fragments: Sequence[str], context: Mapping[str, Any]) -> List[Optional[str]]:
        if not fragments:
            return []
        self._forget_inherited_workers()
        try:
            payload = _pickle_request(
                (list(fragments), _referenced_context(fragments, context), current_sandbox_options())
            )
        except _UnsendableContext:
            if not self.fallback_inprocess:
                raise
            return _evaluate_all(fragments, context, current_sandbox_options())
        with self._slots:
            worker = self._checkout()
            try:
                result = worker.request(payload, self.timeout)
            except RenderInfrastructureError:
                self._discard(worker)
                raise
            self._checkin(worker)
        return result

    def worker_pids(self) -> List[int]:
        """Process ids of the live workers (for monitoring)."""
        with self._lock:
            return [w.process.pid for w in self._all if w.process.pid is not None]

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = self._all, [], []
        for worker in workers:
            worker.stop()

    def _checkout(self) -> _Worker:
        with self._lock:
            if self._idle:
                return self._idle.pop()
        try:
            import multiprocessing

            worker = _Worker(multiprocessing.get_context(self.start_method), self.isolation)
        except Exception as err:
            raise RenderInfrastructureError(f"cannot start a render worker: {err!r}") from err
        with self._lock:
            self._all.append(worker)
        return worker

    def _checkin(self, worker: _Worker) -> None:
        if self.max_uses and worker.uses >= self.max_uses:
            self._discard(worker)
            return
        with self._lock:
            self._idle.append(worker)

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.stop()


class _UnsendableContext(RenderInfrastructureError):
    """A context value can not be pickled for a worker (rendered in-process with ``fallback_inprocess``)."""


def _referenced_context(fragments: Sequence[str], context: Mapping[str, Any]) -> Dict[str, Any]:
    names = set().union(*(fragment_references(fragment) for fragment in fragments))
    return {name: context[name] for name in names if name in context}


def _pickle_request(payload: tuple) -> bytes:
    try:
        return pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - unpicklable values are named below
        for name, value in payload[1].items():
            try:
                pickle.dumps(value)
            except Exception as err:
                raise _UnsendableContext(
                    f"context value {name!r} cannot be sent to a render worker: {err!r}"
                ) from err
        raise _UnsendableContext("render request cannot be sent to a render worker") from None


def render_backend_from_settings(settings: Any = None) -> RenderBackend:
    """The backend the ``MAKO_RENDER_*`` settings describe (worker processes start on first use).

    Raises:
        bamboo_engine.exceptions.ValueError: a value is invalid; the message names the setting.
    """
    values = read_render_settings() if settings is None else read_render_settings(settings)
    if values["MAKO_RENDER_BACKEND"] == "inprocess":
        return InProcessRenderBackend()
    harden = values["MAKO_RENDER_OS_HARDEN"]
    return SubprocessPoolRenderBackend(
        processes=values["MAKO_RENDER_POOL_SIZE"],
        timeout=values["MAKO_RENDER_TIMEOUT"],
        start_method="spawn",
        memory_limit_mb=values["MAKO_RENDER_RLIMIT_AS_MB"] if harden else None,
        cpu_limit_s=values["MAKO_RENDER_RLIMIT_CPU"] if harden else None,
        max_uses=values["MAKO_RENDER_MAX_USES"],
        env_scrub=DEFAULT_ENV_SCRUB + values["MAKO_RENDER_ENV_SCRUB_EXTRA"],
        no_network=values["MAKO_RENDER_NO_NETWORK"],
        fallback_inprocess=values["MAKO_RENDER_FALLBACK_INPROCESS"],
    )


# ------------------------------------------------------------------------------------------- selection

#: None until the first render (or after a reset): then built from the ``MAKO_RENDER_*`` settings.
_current_backend: Optional[RenderBackend] = None
_selection_lock = threading.Lock()


def get_render_backend() -> RenderBackend:
    """The backend templates render with.

    The one given to :func:`set_render_backend`, else the one the ``MAKO_RENDER_*`` engine settings
    describe (:mod:`bamboo_engine.template.render_settings`; in-process by default), built on first use.

    Raises:
        RenderInfrastructureError: the settings are invalid (the message names the setting).
    """
    backend = _current_backend
    return backend if backend is not None else _backend_from_settings()


def _backend_from_settings() -> RenderBackend:
    global _current_backend
    from bamboo_engine.exceptions import ValueError as EngineValueError

    with _selection_lock:
        if _current_backend is None:
            try:
                _current_backend = render_backend_from_settings()
            except EngineValueError as err:
                raise RenderInfrastructureError(f"invalid render settings: {err}") from err
        return _current_backend


def set_render_backend(backend: RenderBackend) -> None:
    """Make ``backend`` the process-wide render backend."""
    global _current_backend
    if not isinstance(backend, RenderBackend):
        raise TypeError(f"render backend must be a RenderBackend, got {type(backend).__name__}")
    _current_backend = backend


def reset_render_backend() -> None:
    """Forget the chosen backend: the next render uses the one the ``MAKO_RENDER_*`` settings describe.

    The replaced backend is not closed: its owner closes it.
    """
    global _current_backend
    _current_backend = None


__all__ = [
    "WorkerIsolation",
    "RenderBackend",
    "InProcessRenderBackend",
    "SubprocessPoolRenderBackend",
    "get_render_backend",
    "set_render_backend",
    "reset_render_backend",
]
