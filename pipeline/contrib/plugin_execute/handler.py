"""``PluginExecuteHandler``: the plugin_execute api as class methods that raise instead of answering.

Each method calls the function of :mod:`pipeline.contrib.plugin_execute.api` and returns its ``data``;
a refusal or failure raises the error the api reported (a ``PluginExecuteException`` for refusals).
"""

from typing import Any, Dict, Optional

from pipeline.contrib.plugin_execute import api
from pipeline.contrib.plugin_execute.exceptions import PluginExecuteException

__all__ = ["PluginExecuteHandler"]


def _data(result) -> Any:
    if result.result:
        return result.data
    if isinstance(result.exc, Exception):
        raise result.exc
    raise PluginExecuteException(result.message)


class PluginExecuteHandler:
    @classmethod
    def run(
        cls,
        component_code: str,
        version: str,
        inputs: dict,
        contexts: dict,
        runtime_attrs: Optional[dict] = None,
    ) -> int:
        """Queue a run of the plugin; returns the task id."""
        return _data(api.run(component_code, version, inputs, contexts, runtime_attrs))

    @classmethod
    def get_state(cls, task_id: int) -> Dict[str, Any]:
        return _data(api.get_state(task_id))

    @classmethod
    def forced_fail(cls, task_id: int) -> None:
        _data(api.forced_fail(task_id))

    @classmethod
    def callback(cls, task_id: int, callback_data: Optional[dict] = None) -> None:
        _data(api.callback(task_id, callback_data))

    @classmethod
    def retry_node(
        cls,
        task_id: int,
        inputs: Optional[dict] = None,
        contexts: Optional[dict] = None,
        runtime_attrs: Optional[dict] = None,
    ) -> None:
        _data(api.retry(task_id, inputs, contexts, runtime_attrs))
