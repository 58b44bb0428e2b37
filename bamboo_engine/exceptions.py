"""One exception tree for the engine core, rooted at :class:`EngineException`."""

import builtins


class EngineException(Exception):
    """Base of every error the engine raises on purpose."""


class RenderInfrastructureError(EngineException):
    """The template render backend itself failed (not the template)."""

    def __init__(self, reason):
        self.reason = reason
        super().__init__(reason)


class InvalidOperationError(EngineException):
    """A control operation or state change is not allowed in the current state."""


class NotFoundError(EngineException):
    """A node, state, schedule or data row does not exist."""


# quirk: upstream shadows the builtin name; callers catch ``bamboo_engine.exceptions.ValueError``.
class ValueError(EngineException, builtins.ValueError):  # noqa: A001
    """An argument value is invalid (also a builtin ``ValueError``)."""


class SerializationError(EngineException, TypeError):
    """A value cannot be stored by the runtime, or stored text cannot be read back."""


class UnstorableValueError(SerializationError):
    """A value has a type the runtime cannot store (see :mod:`bamboo_engine.codec`).

    Attributes:
        key: where the value sits, e.g. ``outputs.result.items[2]`` (empty: the value itself).
        value_type: the qualified name of the value's type.
        hint: what would let the runtime store it (e.g. the pickle opt-in), or "".
    """

    def __init__(self, key: str, value_type: str, hint: str = ""):
        self.key = key
        self.value_type = value_type
        self.hint = hint
        super().__init__(key, value_type, hint)

    def within(self, prefix: str) -> "UnstorableValueError":
        """The same error seen from the container ``prefix`` (``outputs`` + ``a.b`` = ``outputs.a.b``)."""
        if not self.key:
            key = prefix
        elif self.key.startswith("["):
            key = f"{prefix}{self.key}"
        else:
            key = f"{prefix}.{self.key}"
        return UnstorableValueError(key, self.value_type, self.hint)

    def __str__(self) -> str:
        where = f"{self.key} " if self.key else "value "
        text = (
            f"{where}of type {self.value_type} cannot be stored: the runtime stores JSON values plus "
            "datetime, date, time, timedelta, Decimal, UUID, set, frozenset, tuple and bytes"
        )
        return f"{text}; {self.hint}" if self.hint else text


class StateVersionNotMatchError(EngineException):
    """A state change quoted a version that is no longer current."""


class RollbackError(EngineException):
    """A rollback (or its reservation, cancel or retry) is refused; the message says why."""


class TreeInvalidException(EngineException):
    """The pipeline tree is malformed."""


class StartPositionInvalidException(EngineException):
    """The requested start node is not an allowed start position."""


class ConnectionValidateError(TreeInvalidException):
    """Nodes break the in/out degree or target rules."""

    def __init__(self, failed_nodes, detail, *args):
        self.failed_nodes = failed_nodes
        self.detail = detail
        super().__init__(failed_nodes, detail, *args)

    def __str__(self) -> str:
        return f"connection validate failed for nodes {self.failed_nodes}: {self.detail}"


class ConvergeMatchError(TreeInvalidException):
    """A gateway's branches do not meet at a matching converge gateway."""

    def __init__(self, gateway_id, *args):
        self.gateway_id = gateway_id
        super().__init__(gateway_id, *args)

    def __str__(self) -> str:
        detail = " ".join(str(a) for a in self.args[1:])
        return f"gateway({self.gateway_id}) converge match failed: {detail}".rstrip(": ")


class StreamValidateError(TreeInvalidException):
    """Nodes of different parallel branches are linked."""

    def __init__(self, node_id, *args):
        self.node_id = node_id
        super().__init__(node_id, *args)

    def __str__(self) -> str:
        detail = " ".join(str(a) for a in self.args[1:])
        return f"node({self.node_id}) stream validate failed: {detail}".rstrip(": ")


class IsolateNodeError(TreeInvalidException):
    """A node cannot be reached from the start event."""
