"""What happens to a node whose timeout fired: the strategies and the action-name map.

A project plugs its own strategies in with ``PIPELINE_NODE_TIMEOUT_HANDLER`` (a dict mapping action names
to :class:`NodeTimeoutStrategy` instances; ``TimeoutNodeConfig.action`` names one). The task calls
``deal_with_timeout_node(node_id, runtime=..., timeout=..., version=...)``: strategies written for
upstream take ``**kwargs`` and may ignore them.
"""

from abc import ABCMeta, abstractmethod
from typing import Any, Dict

from bamboo_engine import api as bamboo_engine_api


def _runtime(kwargs: Dict[str, Any]) -> Any:
    runtime = kwargs.get("runtime")
    if runtime is None:
        from pipeline.eri.runtime import BambooDjangoRuntime

        runtime = BambooDjangoRuntime()
    return runtime


def _as_dict(result: Any) -> dict:
    return {"result": result.result, "message": result.message, "data": result.data}


class NodeTimeoutStrategy(metaclass=ABCMeta):
    """A strategy for nodes that ran past their timeout."""

    TIMEOUT_NODE_OPERATOR = "bamboo_engine"

    @abstractmethod
    def deal_with_timeout_node(self, node_id, *args, **kwargs) -> dict:
        """Act on ``node_id``; returns ``{"result": bool, "message": str, "data": ...}``."""

    def forced_fail_message(self, node_id: str, kwargs: Dict[str, Any]) -> str:
        seconds = kwargs.get("timeout")
        reason = f": node {node_id} ran longer than its timeout of {seconds} s" if seconds else ""
        return f"forced fail by {self.TIMEOUT_NODE_OPERATOR}{reason}"

    def forced_fail(self, node_id: str, kwargs: Dict[str, Any]) -> Any:
        return bamboo_engine_api.forced_fail_activity(
            runtime=_runtime(kwargs),
            node_id=node_id,
            ex_data=self.forced_fail_message(node_id, kwargs),
            send_post_set_state_signal=kwargs.get("send_post_set_state_signal", True),
        )


class ForcedFailStrategy(NodeTimeoutStrategy):
    """Fail the node (``bamboo_engine.api.forced_fail_activity``): it waits for an operator."""

    def deal_with_timeout_node(self, node_id, *args, **kwargs) -> dict:
        return _as_dict(self.forced_fail(node_id, kwargs))


class ForcedFailAndSkipStrategy(NodeTimeoutStrategy):
    """Fail the node, then skip it (``bamboo_engine.api.skip_node``): the pipeline goes on."""

    def deal_with_timeout_node(self, node_id, *args, **kwargs) -> dict:
        result = self.forced_fail(node_id, kwargs)
        if result.result:
            result = bamboo_engine_api.skip_node(runtime=_runtime(kwargs), node_id=node_id)
        return _as_dict(result)


node_timeout_handler = {
    "forced_fail": ForcedFailStrategy(),
    "forced_fail_and_skip": ForcedFailAndSkipStrategy(),
}
