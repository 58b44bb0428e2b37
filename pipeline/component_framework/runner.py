"""``ComponentRunner``: run one component locally, without an engine (``manage.py run_component``)."""

import logging
import time
import traceback
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional

from pipeline.core.data.base import DataObject

__all__ = ["ComponentRunResult", "ComponentRunner"]

logger = logging.getLogger(__name__)


@dataclass
class ComponentRunResult:
    """What a local run did.

    Attributes:
        success: the last call succeeded (and, when scheduled, the schedule finished).
        stage: the last call made: ``"execute"`` or ``"schedule"``.
        outputs: the service outputs after the last call.
        schedule_times: number of ``schedule`` calls.
        error: traceback of an exception raised by the service, else ``""``.
    """

    success: bool
    stage: str
    outputs: Dict[str, Any] = field(default_factory=dict)
    schedule_times: int = 0
    error: str = ""


class ComponentRunner:
    """Runs ``component_cls``'s service: ``execute``, then its schedule (one callback, or polls until done).

    Args:
        component_cls: a :class:`~pipeline.component_framework.component.Component` subclass.
        max_polls: safety bound on the number of polls of a POLL service.
        sleep: called with each poll interval (``time.sleep`` by default; tests pass a no-op).
    """

    def __init__(self, component_cls, max_polls: int = 1000, sleep: Optional[Callable[[float], Any]] = None):
        self.component_cls = component_cls
        self.max_polls = max_polls
        self.sleep = sleep or time.sleep

    def _new_service(self):
        service = self.component_cls.bound_service()
        node_id = uuid.uuid4().hex
        service.setup_runtime_attrs(
            id=node_id,
            version=uuid.uuid4().hex,
            top_pipeline_id="",
            root_pipeline_id="",
            loop=1,
            inner_loop=1,
            logger=logging.LoggerAdapter(logger, {"node_id": node_id}),
        )
        return service

    def run(self, data, parent_data, callback_data=None):
        """Run the component with ``data`` (its inputs dict) and ``parent_data`` (root pipeline inputs).

        Returns:
            a :class:`ComponentRunResult`.
        """
        service = self._new_service()
        data_object = DataObject(inputs={"_loop": 1, "_inner_loop": 1, **(data or {})})
        parent = DataObject(inputs=dict(parent_data or {}))
        result = _call(service.execute, "execute", data_object, parent)
        if not result.success or not service.need_schedule():
            return result
        if service.interval is None:
            result = _call(service.schedule, "schedule", data_object, parent, callback_data)
            result.schedule_times = 1
            if service.multi_callback_enabled() and not service.is_schedule_finished():
                result.success = False
            return result
        return self._poll(service, data_object, parent)

    def _poll(self, service, data_object, parent):
        result = ComponentRunResult(success=False, stage="schedule")
        for times in range(1, self.max_polls + 1):
            self.sleep(service.interval.next() or 0)
            result = _call(service.schedule, "schedule", data_object, parent, None)
            result.schedule_times = times
            if not result.success or service.is_schedule_finished():
                return result
        result.success = False
        result.error = f"schedule not finished after {self.max_polls} polls"
        return result


def _call(method, stage, data_object, parent, *extra) -> ComponentRunResult:
    error = ""
    try:
        returned = method(data_object, parent, *extra)
    except Exception:  # noqa: BLE001 - plugin code may raise anything
        returned = False
        error = traceback.format_exc()
        data_object.outputs["ex_data"] = error
    success = returned is None or bool(returned)
    # Like the engine: outputs always carry the result flag and the loop counters.
    data_object.outputs["_result"] = success
    data_object.outputs["_loop"] = data_object.inputs.get("_loop", 1)
    data_object.outputs["_inner_loop"] = data_object.inputs.get("_inner_loop", 1)
    return ComponentRunResult(success=success, stage=stage, outputs=dict(data_object.outputs), error=error)
