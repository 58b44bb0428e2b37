"""Timer actions: what a timer does when it fires.

A project adds one by subclassing :class:`BaseAction` with ``class Meta: action_name = "<name>"``; the
class registers itself (:class:`ActionManager`) when its module is imported, so import it where every
worker imports it (an app's ``ready()``, ``CELERY_IMPORTS``). A timer's ``action`` names it. When the
timer fires, ``notify()`` reads the node's data and the root pipeline's inputs and calls ``do(data,
parent_data)``.

Built-in: ``bamboo_engine_forced_fail``, ``bamboo_engine_forced_fail_and_skip``, ``example`` (logs).
"""

import logging
import threading
from abc import abstractmethod
from typing import Any, Dict, Optional, Tuple

from bamboo_engine import api as bamboo_engine_api
from pipeline.core.data.base import DataObject

logger = logging.getLogger(__name__)


class ActionManager:
    """The registered action classes, by ``Meta.action_name``."""

    __hub: Dict[str, type] = {}
    __lock = threading.Lock()

    @classmethod
    def register_invocation_cls(cls, invocation_cls: type) -> None:
        """Register an action class.

        Raises:
            RuntimeError: another class already has its ``action_name``.
        """
        action_name = invocation_cls.Meta.action_name  # type: ignore[attr-defined]
        with cls.__lock:
            existing = cls.__hub.get(action_name)
            if existing is not None and existing is not invocation_cls:
                raise RuntimeError(
                    f"func register error, {existing}'s action_name {action_name} "
                    f"conflict with {invocation_cls}"
                )
            cls.__hub[action_name] = invocation_cls

    @classmethod
    def clear(cls) -> None:
        with cls.__lock:
            cls.__hub = {}

    @classmethod
    def unregister(cls, action_name: str) -> None:
        """Forget one action (tests that define actions of their own)."""
        with cls.__lock:
            cls.__hub.pop(action_name, None)

    @classmethod
    def get_action(cls, root_pipeline_id: str, node_id: str, version: str, action_name: str) -> "BaseAction":
        """An instance of the action named ``action_name`` for one run of a node.

        Raises:
            ValueError: no action has that name.
        """
        if action_name not in cls.__hub:
            raise ValueError(f"{action_name} not found (registered: {sorted(cls.__hub)})")
        return cls.__hub[action_name](root_pipeline_id, node_id, version)


class ActionMeta(type):
    """Registers every subclass of :class:`BaseAction` by its ``Meta.action_name``."""

    def __new__(mcs, name, bases, dct):
        new_cls = super().__new__(mcs, name, bases, dct)
        if not any(isinstance(base, ActionMeta) for base in bases):
            return new_cls
        meta = getattr(new_cls, "Meta", None)
        if meta is None:
            raise AttributeError(f"{name}: Meta class is required")
        if not getattr(meta, "action_name", None):
            raise AttributeError(f"{name}: action_name is required in Meta")
        ActionManager.register_invocation_cls(new_cls)
        return new_cls


def _django_runtime() -> Any:
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()


class BaseAction(metaclass=ActionMeta):
    """An action for one run (``version``) of a node.

    Attributes:
        runtime: the ERI runtime the action reads and acts through (set by the task; the Django
            runtime when None).
    """

    runtime: Any = None

    def __init__(self, root_pipeline_id: str, node_id: str, version: str):
        self.root_pipeline_id = root_pipeline_id
        self.node_id = node_id
        self.version = version

    def get_runtime(self) -> Any:
        if self.runtime is None:
            self.runtime = _django_runtime()
        return self.runtime

    @classmethod
    def get_execution_data(
        cls, root_pipeline_id: str, node_id: str, runtime: Optional[Any] = None
    ) -> Tuple[DataObject, DataObject]:
        """The node's inputs and outputs, and the root pipeline's inputs (as a plugin sees them)."""
        runtime = runtime or _django_runtime()
        data = runtime.get_execution_data(node_id)
        root_inputs = {key: di.value for key, di in runtime.get_data_inputs(root_pipeline_id).items()}
        return (
            DataObject(inputs=data.inputs, outputs=data.outputs),
            DataObject(inputs=root_inputs, outputs={}),
        )

    def notify(self, *args, **kwargs) -> bool:
        data, parent_data = self.get_execution_data(self.root_pipeline_id, self.node_id, self.get_runtime())
        return self.do(data, parent_data, *args, **kwargs)

    @abstractmethod
    def do(self, data: DataObject, parent_data: DataObject, *args, **kwargs) -> bool:
        raise NotImplementedError


class ExampleAction(BaseAction):
    """Logs the node's data."""

    def do(self, data: DataObject, parent_data: DataObject, *args, **kwargs) -> bool:
        logger.info("[Action] example do: data -> %s, parent_data -> %s", data, parent_data)
        return True

    class Meta:
        action_name = "example"


class ForcedFailAction(BaseAction):
    """Fails the node (``bamboo_engine.api.forced_fail_activity``)."""

    TIMEOUT_NODE_OPERATOR = "bamboo_engine"

    def forced_fail(self, kwargs: Dict[str, Any]) -> Any:
        return bamboo_engine_api.forced_fail_activity(
            runtime=self.get_runtime(),
            node_id=self.node_id,
            ex_data=f"forced fail by {self.TIMEOUT_NODE_OPERATOR}: timer event of node {self.node_id} fired",
            send_post_set_state_signal=kwargs.get("send_post_set_state_signal", True),
        )

    def do(self, data: DataObject, parent_data: DataObject, *args, **kwargs) -> bool:
        return self.forced_fail(kwargs).result

    class Meta:
        action_name = "bamboo_engine_forced_fail"


class ForcedFailAndSkipAction(ForcedFailAction):
    """Fails the node, then skips it (``bamboo_engine.api.skip_node``): the pipeline goes on."""

    def do(self, data: DataObject, parent_data: DataObject, *args, **kwargs) -> bool:
        result = self.forced_fail(kwargs)
        if result.result:
            result = bamboo_engine_api.skip_node(runtime=self.get_runtime(), node_id=self.node_id)
        return result.result

    class Meta:
        action_name = "bamboo_engine_forced_fail_and_skip"
