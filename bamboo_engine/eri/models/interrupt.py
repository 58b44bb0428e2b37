"""Checkpoints of an engine step, carried as ``recover_point`` JSON when a step is re-dispatched.

The JSON keys are the dataclass field names; they are part of the task message format, so renaming a
field is a message format change.
"""

import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, Optional, Type

from bamboo_engine import exceptions
from bamboo_engine.eri.models.handler import ExecuteResult, ScheduleResult
from bamboo_engine.eri.models.runtime import DispatchProcess


def _load_json_object(cls: type, json_obj: Optional[str]) -> Optional[dict]:
    """Parse a recover point; None, "" and "{}" mean "no recover point"."""
    if not json_obj:
        return None
    try:
        obj = json.loads(json_obj)
    except json.JSONDecodeError as err:
        raise exceptions.ValueError(f"{cls.__name__}.from_json: invalid JSON ({err}): {json_obj[:200]!r}")
    if not isinstance(obj, dict):
        raise exceptions.ValueError(
            f"{cls.__name__}.from_json: expected a JSON object, got {json_obj[:200]!r}"
        )
    if not obj:
        return None
    if "name" not in obj:
        raise exceptions.ValueError(f"{cls.__name__}.from_json: the point has no 'name': {json_obj[:200]!r}")
    return obj


def _known_fields(cls: type, obj: dict) -> dict:
    # Unknown keys are dropped so that messages written by a newer engine can still be read.
    return {key: value for key, value in obj.items() if key in cls.__dataclass_fields__}  # type: ignore


@dataclass
class InterruptPoint:
    """Base checkpoint: the interrupter ``name`` and a format ``version``.

    Subclasses list their nested model fields in ``_NESTED`` (field name -> class with ``to_dict`` /
    ``from_dict``); the JSON round trip below handles them.
    """

    _NESTED: ClassVar[Dict[str, Any]] = {}

    name: str
    version: int = 0

    def to_json(self) -> str:
        data: dict = dict(vars(self))
        for key in self._NESTED:
            value = data[key]
            data[key] = value.to_dict() if value else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, json_obj: Optional[str]):
        """Rebuild a point from :meth:`to_json` output; None for None, "" or "{}".

        Raises:
            ValueError: ``json_obj`` is not a JSON object.
        """
        obj = _load_json_object(cls, json_obj)
        if obj is None:
            return None
        fields = _known_fields(cls, obj)
        for key, model in cls._NESTED.items():
            fields[key] = _nested(model, fields.get(key))
        return cls(**fields)


@dataclass
class HandlerExecuteData:
    """What a handler's execute attempt has already done (so a retry skips those steps)."""

    dispatch_processes: Optional[List[DispatchProcess]] = None
    end_event_executed: bool = False
    end_event_execute_fail: bool = False
    end_event_execute_ex_data: str = ""
    service_executed: bool = False
    service_execute_fail: bool = False
    execute_serialize_outputs: str = "{}"
    execute_outputs_serializer: str = ""
    pipeline_stack_setted: bool = False
    render_infrastructure_failed: bool = False

    def to_dict(self) -> dict:
        data = dict(vars(self))
        if self.dispatch_processes is not None:
            data["dispatch_processes"] = [dp.to_dict() for dp in self.dispatch_processes]
        return data

    @classmethod
    def from_dict(cls, obj: dict) -> "HandlerExecuteData":
        fields = _known_fields(cls, obj)
        if fields.get("dispatch_processes") is not None:
            fields["dispatch_processes"] = [
                DispatchProcess.from_dict(dp) for dp in fields["dispatch_processes"]
            ]
        return cls(**fields)


@dataclass
class ExecuteInterruptPoint(InterruptPoint):
    """Progress of one ``Engine.execute`` step."""

    state_already_exist: bool = False
    running_node_version: Optional[str] = None
    execute_result: Optional[ExecuteResult] = None
    set_schedule_done: bool = False
    handler_data: Optional[HandlerExecuteData] = None

    _NESTED: ClassVar[Dict[str, Any]] = {"execute_result": ExecuteResult, "handler_data": HandlerExecuteData}


@dataclass
class HandlerScheduleData:
    """What a handler's schedule attempt has already done."""

    service_scheduled: bool = False
    service_schedule_fail: bool = False
    is_schedule_done: bool = False
    schedule_times_added: bool = False
    schedule_serialize_outputs: str = "{}"
    schedule_outputs_serializer: str = ""
    render_infrastructure_failed: bool = False
    # The run is counted by the engine's write that ends the schedule (``finish_polled_schedule``). Not a
    # constructor argument: the published signature of this class stays as it is.
    schedule_times_deferred: bool = field(default=False, init=False)

    def to_dict(self) -> dict:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, obj: dict) -> "HandlerScheduleData":
        fields = _known_fields(cls, obj)
        deferred = bool(fields.pop("schedule_times_deferred", False))
        data = cls(**fields)
        data.schedule_times_deferred = deferred
        return data


@dataclass
class ScheduleInterruptPoint(InterruptPoint):
    """Progress of one ``Engine.schedule`` step."""

    version_mismatch: Optional[bool] = None
    node_not_running: Optional[bool] = None
    lock_get: Optional[bool] = None
    schedule_result: Optional[ScheduleResult] = None
    lock_released: bool = False
    handler_data: Optional[HandlerScheduleData] = None

    _NESTED: ClassVar[Dict[str, Any]] = {
        "schedule_result": ScheduleResult,
        "handler_data": HandlerScheduleData,
    }


def _nested(model: Type[Any], obj: Optional[dict]) -> Any:
    return model.from_dict(obj) if obj is not None else None
