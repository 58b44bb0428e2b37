"""Small helpers of the plugin_execute tests."""

from typing import Any, Dict

from pipeline.contrib.plugin_execute import api


def started(component_code: str, inputs: Dict[str, Any] = None, **kwargs: Any) -> int:
    """``api.run`` that must succeed; returns the task id."""
    result = api.run(
        component_code, kwargs.pop("version", "legacy"), inputs or {}, kwargs.pop("contexts", {}), **kwargs
    )
    assert result.result, f"run failed: {result.message}\n{result.exc_trace}"
    return result.data


def state_of(task_id: int) -> Dict[str, Any]:
    """``api.get_state(task_id).data``, which must succeed."""
    result = api.get_state(task_id)
    assert result.result, result.message
    return result.data
