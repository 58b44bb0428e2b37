"""Pipeline data classes: variables, node outputs, pipeline data and subprocess params."""

from bamboo_engine.utils.collections import FancyDict

__all__ = [
    "Data",
    "Params",
    "Var",
    "DataInput",
    "NodeOutput",
    "RewritableNodeOutput",
    "InitializedRewritableNodeOutput",
]


def _to_dict(value):
    return value.to_dict() if hasattr(value, "to_dict") else value


class Var:
    """A variable: ``type`` is ``Var.PLAIN``, ``Var.SPLICE`` or ``Var.LAZY`` (with ``custom_type``)."""

    PLAIN = "plain"
    SPLICE = "splice"
    LAZY = "lazy"

    def __init__(self, type, value, custom_type=None):  # noqa: A002 - upstream's published signature
        self.type = type
        self.value = value
        self.custom_type = custom_type

    def to_dict(self):
        result = {"type": self.type, "value": self.value}
        if self.type == self.LAZY:
            result["custom_type"] = self.custom_type
        return result


class DataInput(Var):
    """A subprocess variable that the parent's ``params`` may override."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)

    def to_dict(self):
        result = super().to_dict()
        result["is_param"] = True
        return result


class NodeOutput(Var):
    """A context key filled from output ``source_key`` of node ``source_act``."""

    def __init__(self, source_act, source_key, *args, type=Var.PLAIN, **kwargs):  # noqa: A002
        kwargs.pop("value", None)
        super().__init__(type, None, *args, **kwargs)
        self.source_act = source_act
        self.source_key = source_key

    def to_dict(self):
        result = super().to_dict()
        result["source_act"] = self.source_act
        result["source_key"] = self.source_key
        return result


class RewritableNodeOutput(Var):
    """A context key written by several nodes (last finisher wins).

    Args:
        source_act: list of ``{"source_act": node_id, "source_key": key}``.
    """

    def __init__(self, source_act, *args, **kwargs):
        kwargs["value"] = None
        super().__init__(*args, **kwargs)
        self.source_act = source_act

    def to_dict(self):
        result = super().to_dict()
        result["source_act"] = self.source_act
        return result


class InitializedRewritableNodeOutput(Var):
    """A rewritable node output that also starts with ``value`` in the context."""

    def __init__(self, source_act, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.source_act = source_act

    def to_dict(self):
        result = super().to_dict()
        result["source_act"] = self.source_act
        result["need_initialization"] = True
        return result


class Data:
    """Pipeline data: ``inputs`` ``{"${key}": Var or dict}``, ``outputs`` and ``pre_render_keys`` lists."""

    def __init__(self, inputs=None, outputs=None, pre_render_keys=None):
        self.inputs = FancyDict(inputs or {})
        self.outputs = outputs if outputs is not None else []
        self.pre_render_keys = pre_render_keys if pre_render_keys is not None else []

    def to_dict(self):
        return {
            "inputs": {key: _to_dict(var) for key, var in self.inputs.items()},
            "outputs": list(self.outputs),
            "pre_render_keys": list(self.pre_render_keys),
        }


class Params:
    """Subprocess params: ``{"${key}": Var}`` rendered against the parent context."""

    def __init__(self, params=None):
        self.params = FancyDict(params or {})

    def to_dict(self):
        return {key: _to_dict(var) for key, var in self.params.items()}
