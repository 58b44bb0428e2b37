"""Where template fragments are evaluated: in this process (default) or in isolated worker processes.

A backend turns fragments into text (or ``None`` = leave the fragment as is). Template problems never
raise; a backend that cannot do its job raises :class:`~bamboo_engine.exceptions.RenderInfrastructureError`
so the node fails visibly instead of silently rendering nothing.
"""

import logging
import pickle
import threading
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Mapping, Optional, Sequence

from bamboo_engine.exceptions import RenderInfrastructureError
from bamboo_engine.template.fragment import evaluate_fragment, fragment_references
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


def _apply_memory_limit(memory_limit_mb: Optional[int]) -> None:
    if not memory_limit_mb:
        return
    try:
        import resource

        limit = memory_limit_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError) as err:  # pragma: no cover - platform dependent
        logger.warning("render worker could not limit its memory: %s", err)


def _worker_main(connection: Any, memory_limit_mb: Optional[int]) -> None:
    """Worker loop: receive ``(fragments, context, options)``, answer ``("ok", results)``."""
    _apply_memory_limit(memory_limit_mb)
    while True:
        try:
            request = connection.recv_bytes()
        except (EOFError, OSError):
            return
        try:
            # The request comes from the parent process over a private pipe, never from a user.
            connection.send(("ok", _evaluate_all(*pickle.loads(request))))  # noqa: S301
        except BaseException as err:  # noqa: BLE001 - every failure goes back to the parent
            connection.send(("error", f"{type(err).__name__}: {err}"))


class _Worker:
    """One worker process and our end of its pipe."""

    def __init__(self, mp_context: Any, memory_limit_mb: Optional[int]) -> None:
        self.connection, child_end = mp_context.Pipe()
        self.process = mp_context.Process(
            target=_worker_main, args=(child_end, memory_limit_mb), name="bamboo-render-worker", daemon=True
        )
        self.process.start()
        child_end.close()

    def request(self, payload: bytes, timeout: float) -> List[Optional[str]]:
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
    """Evaluates fragments in a pool of isolated worker processes with a timeout and a memory limit.

    Only the context values the fragments reference are sent. A worker that times out or dies is killed
    and replaced on the next call.

    Args:
        processes: maximum number of worker processes.
        timeout: seconds one render call may take.
        start_method: multiprocessing start method ("spawn" isolates best; "fork" starts fastest).
        memory_limit_mb: address-space limit of each worker (None: unlimited).
    """

    def __init__(
        self,
        processes: int = 2,
        timeout: float = 5.0,
        start_method: str = "spawn",
        memory_limit_mb: Optional[int] = 1024,
    ) -> None:
        if processes < 1:
            raise ValueError(f"processes must be at least 1, got {processes}")
        self.timeout = timeout
        self.start_method = start_method
        self.memory_limit_mb = memory_limit_mb
        self._slots = threading.BoundedSemaphore(processes)
        self._idle: List[_Worker] = []
        self._all: List[_Worker] = []
        self._lock = threading.Lock()

    def render_fragments(self, fragments: Sequence[str], context: Mapping[str, Any]) -> List[Optional[str]]:
        if not fragments:
            return []
        payload = _pickle_request(
            (list(fragments), _referenced_context(fragments, context), current_sandbox_options())
        )
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

            worker = _Worker(multiprocessing.get_context(self.start_method), self.memory_limit_mb)
        except Exception as err:
            raise RenderInfrastructureError(f"cannot start a render worker: {err!r}") from err
        with self._lock:
            self._all.append(worker)
        return worker

    def _checkin(self, worker: _Worker) -> None:
        with self._lock:
            self._idle.append(worker)

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)
        worker.stop()


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
                raise RenderInfrastructureError(
                    f"context value {name!r} cannot be sent to a render worker: {err!r}"
                ) from err
        raise RenderInfrastructureError("render request cannot be sent to a render worker") from None


# ------------------------------------------------------------------------------------------- selection

_DEFAULT_BACKEND = InProcessRenderBackend()
_current_backend: RenderBackend = _DEFAULT_BACKEND


def get_render_backend() -> RenderBackend:
    """The backend templates render with (in-process unless :func:`set_render_backend` was called)."""
    return _current_backend


def set_render_backend(backend: RenderBackend) -> None:
    """Make ``backend`` the process-wide render backend."""
    global _current_backend
    if not isinstance(backend, RenderBackend):
        raise TypeError(f"render backend must be a RenderBackend, got {type(backend).__name__}")
    _current_backend = backend


def reset_render_backend() -> None:
    """Go back to the in-process backend (the replaced backend is not closed: its owner closes it)."""
    global _current_backend
    _current_backend = _DEFAULT_BACKEND


__all__ = [
    "RenderBackend",
    "InProcessRenderBackend",
    "SubprocessPoolRenderBackend",
    "get_render_backend",
    "set_render_backend",
    "reset_render_backend",
]
