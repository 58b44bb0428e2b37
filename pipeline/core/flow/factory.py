"""``FlowNodeClsFactory``: registry of flow node types, extended by custom end events."""

import threading
from typing import Dict, List

from bamboo_engine.eri.models.node import NodeType
from pipeline.core.flow.event import ExecutableEndEvent
from pipeline.core.flow.signals import post_new_end_event_register
from pipeline.exceptions import PipelineException

__all__ = ["FlowNode", "FlowNodeClsFactory", "NodeTypeConflictError", "UnknownNodeTypeError"]


class NodeTypeConflictError(PipelineException):
    """A different class is already registered under the node type."""


class UnknownNodeTypeError(PipelineException, KeyError):
    """No class is registered under the node type."""


class FlowNode:
    """Marker class standing for a built-in node type (the engine implements their behaviour)."""

    node_type = ""


def _builtin_node_classes() -> Dict[str, type]:
    return {kind.value: type(kind.value, (FlowNode,), {"node_type": kind.value}) for kind in NodeType}


_START_EVENT_TYPES = frozenset({NodeType.EmptyStartEvent.value})
_BUILTIN_END_EVENT_TYPES = frozenset({NodeType.EmptyEndEvent.value, NodeType.ExecutableEndEvent.value})


class FlowNodeClsFactory:
    """Node type name (the tree's ``type``) → class.

    Built-in types map to :class:`FlowNode` markers; custom end events map to the registered
    :class:`~pipeline.core.flow.event.ExecutableEndEvent` subclass, which the runtime instantiates.
    """

    nodes_cls: Dict[str, type] = _builtin_node_classes()
    _lock = threading.Lock()

    @classmethod
    def register_node(cls, key, node_cls):
        """Register ``node_cls`` under the node type ``key`` and send ``post_new_end_event_register``.

        Registering the same class again (a module imported twice) is a no-op apart from the signal.

        Raises:
            NodeTypeConflictError: ``key`` is a built-in type or belongs to another class.
        """
        with cls._lock:
            existing = cls.nodes_cls.get(key)
            if existing is not None and _qualname(existing) != _qualname(node_cls):
                raise NodeTypeConflictError(
                    f"node type {key!r} is already registered to {_qualname(existing)}; "
                    f"cannot register {_qualname(node_cls)}"
                )
            cls.nodes_cls[key] = node_cls
        post_new_end_event_register.send(sender=cls, node_type=key, node_cls=node_cls)

    @classmethod
    def get_node_cls(cls, key):
        """The class registered under ``key``.

        Raises:
            UnknownNodeTypeError: nothing is registered under ``key``.
        """
        try:
            return cls.nodes_cls[key]
        except KeyError:
            raise UnknownNodeTypeError(
                f"node type {key!r} is not registered (known: {sorted(cls.nodes_cls)})"
            ) from None

    @classmethod
    def node_types_without_start_event(cls) -> List[str]:
        return [key for key in cls.nodes_cls if key not in _START_EVENT_TYPES]

    @classmethod
    def node_types_without_start_end_event(cls) -> List[str]:
        return [
            key
            for key, node_cls in cls.nodes_cls.items()
            if key not in _START_EVENT_TYPES and not _is_end_event(key, node_cls)
        ]


def _is_end_event(key: str, node_cls: type) -> bool:
    return key in _BUILTIN_END_EVENT_TYPES or issubclass(node_cls, ExecutableEndEvent)


def _qualname(node_cls: type) -> str:
    # Compared by name, not identity: reloading a module (autoreload, tests) makes a new class object.
    return f"{node_cls.__module__}.{node_cls.__qualname__}"
