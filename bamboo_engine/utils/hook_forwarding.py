"""Runtime hook mixins that forward every engine hook to one method.

A runtime that treats all hooks alike (record them, publish them as events) subclasses these and
implements :meth:`on_hook` once, instead of spelling out the thirty-odd hook signatures of
``EngineAPIHooksMixin`` and ``EngineRuntimeHooksMixin`` again. The keyword arguments are the hook's
named parameters (the ``**options`` of the prepare hooks are not forwarded), which the Django runtime
publishes as the ``data`` of its ``pipeline_event``.
"""

from typing import Any, Optional


class _HookForwarder:
    def on_hook(self, name: str, **kwargs: Any) -> None:
        """Called with the hook method name and its arguments; does nothing unless overridden."""


class ForwardingAPIHooksMixin(_HookForwarder):
    """Every ``EngineAPIHooksMixin`` hook, forwarded to :meth:`on_hook`."""

    def pre_prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ):
        self.on_hook(
            "pre_prepare_run_pipeline",
            pipeline=pipeline,
            root_pipeline_data=root_pipeline_data,
            root_pipeline_context=root_pipeline_context,
            subprocess_context=subprocess_context,
        )

    def post_prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ):
        self.on_hook(
            "post_prepare_run_pipeline",
            pipeline=pipeline,
            root_pipeline_data=root_pipeline_data,
            root_pipeline_context=root_pipeline_context,
            subprocess_context=subprocess_context,
        )

    def pre_pause_pipeline(self, pipeline_id: str):
        self.on_hook("pre_pause_pipeline", pipeline_id=pipeline_id)

    def post_pause_pipeline(self, pipeline_id: str):
        self.on_hook("post_pause_pipeline", pipeline_id=pipeline_id)

    def pre_revoke_pipeline(self, pipeline_id: str):
        self.on_hook("pre_revoke_pipeline", pipeline_id=pipeline_id)

    def post_revoke_pipeline(self, pipeline_id: str):
        self.on_hook("post_revoke_pipeline", pipeline_id=pipeline_id)

    def pre_resume_pipeline(self, pipeline_id: str):
        self.on_hook("pre_resume_pipeline", pipeline_id=pipeline_id)

    def post_resume_pipeline(self, pipeline_id: str):
        self.on_hook("post_resume_pipeline", pipeline_id=pipeline_id)

    def pre_resume_node(self, node_id: str):
        self.on_hook("pre_resume_node", node_id=node_id)

    def post_resume_node(self, node_id: str):
        self.on_hook("post_resume_node", node_id=node_id)

    def pre_pause_node(self, node_id: str):
        self.on_hook("pre_pause_node", node_id=node_id)

    def post_pause_node(self, node_id: str):
        self.on_hook("post_pause_node", node_id=node_id)

    def pre_retry_node(self, node_id: str, data: Optional[dict]):
        self.on_hook("pre_retry_node", node_id=node_id, data=data)

    def post_retry_node(self, node_id: str, data: Optional[dict]):
        self.on_hook("post_retry_node", node_id=node_id, data=data)

    def pre_skip_node(self, node_id: str):
        self.on_hook("pre_skip_node", node_id=node_id)

    def post_skip_node(self, node_id: str):
        self.on_hook("post_skip_node", node_id=node_id)

    def pre_skip_exclusive_gateway(self, node_id: str, flow_id: str):
        self.on_hook("pre_skip_exclusive_gateway", node_id=node_id, flow_id=flow_id)

    def post_skip_exclusive_gateway(self, node_id: str, flow_id: str):
        self.on_hook("post_skip_exclusive_gateway", node_id=node_id, flow_id=flow_id)

    def pre_skip_conditional_parallel_gateway(self, node_id: str, flow_ids: list, converge_gateway_id: str):
        self.on_hook(
            "pre_skip_conditional_parallel_gateway",
            node_id=node_id,
            flow_ids=flow_ids,
            converge_gateway_id=converge_gateway_id,
        )

    def post_skip_conditional_parallel_gateway(self, node_id: str, flow_ids: list, converge_gateway_id: str):
        self.on_hook(
            "post_skip_conditional_parallel_gateway",
            node_id=node_id,
            flow_ids=flow_ids,
            converge_gateway_id=converge_gateway_id,
        )

    def pre_callback(self, node_id: str, version: str, data: str):
        self.on_hook("pre_callback", node_id=node_id, version=version, data=data)

    def post_callback(self, node_id: str, version: str, data: str):
        self.on_hook("post_callback", node_id=node_id, version=version, data=data)

    def pre_retry_subprocess(self, node_id: str):
        self.on_hook("pre_retry_subprocess", node_id=node_id)

    def post_retry_subprocess(self, node_id: str):
        self.on_hook("post_retry_subprocess", node_id=node_id)

    def pre_forced_fail_activity(self, node_id: str, ex_data: str):
        self.on_hook("pre_forced_fail_activity", node_id=node_id, ex_data=ex_data)

    def post_forced_fail_activity(self, node_id: str, ex_data: str, old_version: str, new_version: str):
        self.on_hook(
            "post_forced_fail_activity",
            node_id=node_id,
            ex_data=ex_data,
            old_version=old_version,
            new_version=new_version,
        )


class ForwardingRuntimeHooksMixin(_HookForwarder):
    """Every ``EngineRuntimeHooksMixin`` hook, forwarded to :meth:`on_hook`."""

    def node_execute_exception(self, root_pipeline_id: str, node_id: str, ex_data: str):
        self.on_hook(
            "node_execute_exception", root_pipeline_id=root_pipeline_id, node_id=node_id, ex_data=ex_data
        )

    def node_schedule_exception(self, root_pipeline_id: str, node_id: str, ex_data: str):
        self.on_hook(
            "node_schedule_exception", root_pipeline_id=root_pipeline_id, node_id=node_id, ex_data=ex_data
        )

    def node_execute_fail(self, root_pipeline_id: str, node_id: str):
        self.on_hook("node_execute_fail", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def node_schedule_fail(self, root_pipeline_id: str, node_id: str):
        self.on_hook("node_schedule_fail", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def node_enter(self, root_pipeline_id: str, node_id: str):
        self.on_hook("node_enter", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def node_finish(self, root_pipeline_id: str, node_id: str):
        self.on_hook("node_finish", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def pipeline_finish(self, pipeline_id: str):
        self.on_hook("pipeline_finish", pipeline_id=pipeline_id)

    def pre_execute(self, root_pipeline_id: str, node_id: str):
        self.on_hook("pre_execute", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def post_execute(self, root_pipeline_id: str, node_id: str):
        self.on_hook("post_execute", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def pre_schedule(self, root_pipeline_id: str, node_id: str):
        self.on_hook("pre_schedule", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def post_schedule(self, root_pipeline_id: str, node_id: str):
        self.on_hook("post_schedule", root_pipeline_id=root_pipeline_id, node_id=node_id)
