"""Plugin-facing abstractions (what the engine runs) and the runtime's plugin lookup."""

import inspect
from abc import ABC, abstractmethod
from typing import Any, Callable, List, Optional, TypeVar

from bamboo_engine.eri.interfaces._export import public
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, Schedule, ScheduleType

_F = TypeVar("_F", bound=Callable[..., Any])


@public
class Service(ABC):
    """A plugin service as the engine calls it; the runtime wraps each plugin in one of these."""

    @abstractmethod
    def execute(self, data: ExecutionData, root_pipeline_data: ExecutionData) -> bool:
        """Run the service once; False (or an exception) means the node failed."""

    @abstractmethod
    def schedule(
        self,
        schedule: Schedule,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        """Handle one poll or callback; False (or an exception) means the node failed."""

    @abstractmethod
    def hook_dispatch(
        self,
        hook: HookType,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        """Run the plugin's method for ``hook``; returns its result."""

    @abstractmethod
    def need_schedule(self) -> bool:
        """Whether the service must be scheduled after a successful ``execute``."""

    @abstractmethod
    def need_run_hook(self) -> bool:
        """Whether the engine should call :meth:`hook_dispatch` for this service."""

    @abstractmethod
    def schedule_type(self) -> Optional[ScheduleType]:
        """POLL, CALLBACK or MULTIPLE_CALLBACK; None when no schedule is needed."""

    @abstractmethod
    def is_schedule_done(self) -> bool:
        """Whether the service has finished scheduling (POLL / MULTIPLE_CALLBACK)."""

    @abstractmethod
    def callback_lock_retryable(self, callback_data=None) -> bool:
        """Whether a CALLBACK that found the schedule locked should be re-sent later."""

    @abstractmethod
    def schedule_after(
        self, schedule: Optional[Schedule], data: ExecutionData, root_pipeline_data: ExecutionData
    ) -> int:
        """Seconds until the next POLL (``schedule`` is None before the first one); -1 = none."""

    @abstractmethod
    def setup_runtime_attributes(self, **attrs) -> None:
        """Give the service ``id``, ``version``, ``top_pipeline_id``, ``root_pipeline_id``, loops..."""

    def rollback(
        self, data: ExecutionData, root_pipeline_data: ExecutionData, rollback_data: Any = None
    ) -> bool:
        """Undo what a finished run did (``data`` and ``root_pipeline_data`` are the run's, as stored
        when it finished); False (or an exception) means the rollback failed. Nothing to undo by default.
        """
        return True


def _signature_without_self(func: _F) -> _F:
    """Make introspection show ``func`` without its ``self`` parameter."""
    signature = inspect.signature(func)
    func.__signature__ = signature.replace(parameters=list(signature.parameters.values())[1:])  # type: ignore
    return func


@public
class ExecutableEvent(ABC):
    """The class registered for an ExecutableEndEvent ``code``."""

    # quirk: the published signature is ``execute(pipeline_stack, root_pipeline_id)`` with no ``self``.
    # It is an ordinary method (implementations define ``execute(self, ...)``); only what introspection
    # reports follows the published form.
    @abstractmethod
    @_signature_without_self
    def execute(self, pipeline_stack: List[str], root_pipeline_id: str) -> None:
        """Run the end event; an exception fails the node."""


@public
class Variable(ABC):
    """A compute (lazy) context variable."""

    @abstractmethod
    def get(self) -> Any:
        """The variable's value."""


@public
class PluginManagerMixin(ABC):
    """Looks up plugins by code and version."""

    @abstractmethod
    def get_service(self, code: str, version: str, name: str = None, inner_loop: int = -1) -> Service:
        """The service for a ServiceActivity ``code``/``version``."""

    @abstractmethod
    def get_executable_end_event(self, code: str) -> ExecutableEvent:
        """The end-event class instance registered under ``code``."""

    @abstractmethod
    def get_compute_variable(
        self, code: str, key: str, value: Variable, additional_data: dict, inner_loop: int = -1
    ) -> Variable:
        """The compute variable ``code`` for context key ``key``; ``value`` is its template variable."""
