"""``DataObject``: the inputs/outputs container a plugin service reads and writes."""

import copy
import json
from typing import Any, Optional

from bamboo_engine.utils.collections import FancyDict


def _fancy(value: Optional[dict]) -> FancyDict:
    if value is None:
        return FancyDict()
    if not isinstance(value, dict):
        raise TypeError(f"DataObject inputs/outputs must be a dict, got {type(value).__name__}")
    return value if isinstance(value, FancyDict) else FancyDict(value)


class DataObject:
    """Inputs (plain keys, incl. ``_loop``/``_inner_loop``) and outputs of one service call.

    Writing ``ex_data`` into the outputs sets the failure message users see.
    """

    def __init__(self, inputs: dict, outputs: Optional[dict] = None):
        self.inputs = _fancy(inputs)
        self.outputs = _fancy(outputs)

    def get_inputs(self) -> FancyDict:
        return self.inputs

    def get_outputs(self) -> FancyDict:
        return self.outputs

    def get_one_of_inputs(self, key: str, default: Any = None) -> Any:
        return self.inputs.get(key, default)

    def get_one_of_outputs(self, key: str, default: Any = None) -> Any:
        return self.outputs.get(key, default)

    def set_outputs(self, key: str, value: Any) -> bool:
        self.outputs[key] = value
        return True

    def reset_outputs(self, outputs: dict) -> bool:
        self.outputs = _fancy(outputs)
        return True

    def update_outputs(self, dic: dict) -> None:
        self.outputs.update(dic)

    def inputs_copy(self) -> FancyDict:
        return copy.deepcopy(self.inputs)

    def outputs_copy(self) -> FancyDict:
        return copy.deepcopy(self.outputs)

    def override_inputs(self, inputs: dict) -> None:
        self.inputs = _fancy(inputs)

    def override_outputs(self, outputs: dict) -> None:
        self.outputs = _fancy(outputs)

    def serializer(self) -> str:
        """JSON text of ``{"inputs": ..., "outputs": ...}`` (non-JSON values rendered with ``str``)."""
        return json.dumps({"inputs": self.inputs, "outputs": self.outputs}, default=str)

    def __repr__(self) -> str:
        return f"DataObject(inputs={dict(self.inputs)!r}, outputs={dict(self.outputs)!r})"
