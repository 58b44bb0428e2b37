"""Hooks the engine calls around API operations and node events.

Every hook has a no-op default: they exist for runtimes that want to observe the engine (signals,
metrics), and a small runtime should not have to implement dozens of empty methods.
"""

from typing import Optional

from bamboo_engine.eri.interfaces._export import public


@public
class EngineAPIHooksMixin:
    """Called before (``pre_``) and after (``post_``) each ``bamboo_engine.api`` operation."""

    def pre_prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ) -> None:
        """Before a pipeline is prepared for running."""

    def post_prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ) -> None:
        """After a pipeline was prepared for running."""

    def pre_pause_pipeline(self, pipeline_id: str) -> None:
        """Before a pipeline is paused."""

    def post_pause_pipeline(self, pipeline_id: str) -> None:
        """After a pipeline was paused."""

    def pre_revoke_pipeline(self, pipeline_id: str) -> None:
        """Before a pipeline is revoked."""

    def post_revoke_pipeline(self, pipeline_id: str) -> None:
        """After a pipeline was revoked."""

    def pre_resume_pipeline(self, pipeline_id: str) -> None:
        """Before a pipeline is resumed."""

    def post_resume_pipeline(self, pipeline_id: str) -> None:
        """After a pipeline was resumed."""

    def pre_resume_node(self, node_id: str) -> None:
        """Before a node appointment is resumed."""

    def post_resume_node(self, node_id: str) -> None:
        """After a node appointment was resumed."""

    def pre_pause_node(self, node_id: str) -> None:
        """Before a node is appointed to pause."""

    def post_pause_node(self, node_id: str) -> None:
        """After a node was appointed to pause."""

    def pre_retry_node(self, node_id: str, data: Optional[dict]) -> None:
        """Before a node is retried (``data``: replacement inputs, if any)."""

    def post_retry_node(self, node_id: str, data: Optional[dict]) -> None:
        """After a node was retried."""

    def pre_skip_node(self, node_id: str) -> None:
        """Before a node is skipped."""

    def post_skip_node(self, node_id: str) -> None:
        """After a node was skipped."""

    def pre_skip_exclusive_gateway(self, node_id: str, flow_id: str) -> None:
        """Before an exclusive gateway is skipped along ``flow_id``."""

    def post_skip_exclusive_gateway(self, node_id: str, flow_id: str) -> None:
        """After an exclusive gateway was skipped."""

    def pre_skip_conditional_parallel_gateway(
        self, node_id: str, flow_ids: list, converge_gateway_id: str
    ) -> None:
        """Before a conditional parallel gateway is skipped along ``flow_ids``."""

    def post_skip_conditional_parallel_gateway(
        self, node_id: str, flow_ids: list, converge_gateway_id: str
    ) -> None:
        """After a conditional parallel gateway was skipped."""

    def pre_forced_fail_activity(self, node_id: str, ex_data: str) -> None:
        """Before an activity is forced to fail."""

    def post_forced_fail_activity(
        self, node_id: str, ex_data: str, old_version: str, new_version: str
    ) -> None:
        """After an activity was forced to fail (its state version changed)."""

    def pre_callback(self, node_id: str, version: str, data: str) -> None:
        """Before callback data is delivered to a node."""

    def post_callback(self, node_id: str, version: str, data: str) -> None:
        """After callback data was delivered."""

    def pre_retry_subprocess(self, node_id: str) -> None:
        """Before a SubProcess node is retried."""

    def post_retry_subprocess(self, node_id: str) -> None:
        """After a SubProcess node was retried."""


@public
class EngineRuntimeHooksMixin:
    """Called by the engine on node and pipeline events."""

    def node_execute_exception(self, root_pipeline_id: str, node_id: str, ex_data: str) -> None:
        """A service's ``execute`` raised (``ex_data``: the traceback)."""

    def node_schedule_exception(self, root_pipeline_id: str, node_id: str, ex_data: str) -> None:
        """A service's ``schedule`` raised (``ex_data``: the traceback)."""

    def node_execute_fail(self, root_pipeline_id: str, node_id: str) -> None:
        """A node failed while executing."""

    def node_schedule_fail(self, root_pipeline_id: str, node_id: str) -> None:
        """A node failed while being scheduled."""

    def node_enter(self, root_pipeline_id: str, node_id: str) -> None:
        """A service activity is about to run its service."""

    def node_finish(self, root_pipeline_id: str, node_id: str) -> None:
        """A node finished and the process moved on past it, or ended at it (the root's end event)."""

    def pipeline_finish(self, pipeline_id: str) -> None:
        """The root pipeline reached its end event."""
