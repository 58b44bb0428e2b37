"""HooksMixin: the engine's API and runtime hooks as ``pipeline_event`` Django signals.

Each hook sends ``pipeline.eri.signals.pipeline_event`` with a :class:`PipelineEvent` whose
``event_type`` is the hook method name and whose ``data`` holds the hook's arguments — only when the
``ENABLE_PIPELINE_EVENT_SIGNALS`` setting is True (otherwise hooks cost one settings lookup).
"""

from typing import Any, Dict, Optional

from pipeline.conf import settings
from pipeline.eri import signals


class PipelineEvent:
    """One engine event, as sent with the ``pipeline_event`` signal."""

    def __init__(self, event_type: str, data: Dict[str, Any]):
        self.event_type = event_type
        self.data = data

    def as_dict(self) -> Dict[str, Any]:
        return {"event_type": self.event_type, "data": self.data}

    def __repr__(self) -> str:
        return f"PipelineEvent({self.event_type!r}, {self.data!r})"


class HooksMixin:
    """Implements every hook of ``EngineAPIHooksMixin`` and ``EngineRuntimeHooksMixin``."""

    def _emit(self, event_type: str, **data: Any) -> None:
        if settings.ENABLE_PIPELINE_EVENT_SIGNALS:
            signals.pipeline_event.send(sender=type(self), event=PipelineEvent(event_type, data))

    # -- API hooks ------------------------------------------------------------------------------

    def pre_prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ):
        self._emit(
            "pre_prepare_run_pipeline",
            pipeline=pipeline,
            root_pipeline_data=root_pipeline_data,
            root_pipeline_context=root_pipeline_context,
            subprocess_context=subprocess_context,
            **options,
        )

    def post_prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ):
        self._emit(
            "post_prepare_run_pipeline",
            pipeline=pipeline,
            root_pipeline_data=root_pipeline_data,
            root_pipeline_context=root_pipeline_context,
            subprocess_context=subprocess_context,
            **options,
        )

    def pre_pause_pipeline(self, pipeline_id: str):
        self._emit("pre_pause_pipeline", pipeline_id=pipeline_id)

    def post_pause_pipeline(self, pipeline_id: str):
        self._emit("post_pause_pipeline", pipeline_id=pipeline_id)

    def pre_revoke_pipeline(self, pipeline_id: str):
        self._emit("pre_revoke_pipeline", pipeline_id=pipeline_id)

    def post_revoke_pipeline(self, pipeline_id: str):
        self._emit("post_revoke_pipeline", pipeline_id=pipeline_id)

    def pre_resume_pipeline(self, pipeline_id: str):
        self._emit("pre_resume_pipeline", pipeline_id=pipeline_id)

    def post_resume_pipeline(self, pipeline_id: str):
        self._emit("post_resume_pipeline", pipeline_id=pipeline_id)

    def pre_resume_node(self, node_id: str):
        self._emit("pre_resume_node", node_id=node_id)

    def post_resume_node(self, node_id: str):
        self._emit("post_resume_node", node_id=node_id)

    def pre_pause_node(self, node_id: str):
        self._emit("pre_pause_node", node_id=node_id)

    def post_pause_node(self, node_id: str):
        self._emit("post_pause_node", node_id=node_id)

    def pre_retry_node(self, node_id: str, data: Optional[dict]):
        self._emit("pre_retry_node", node_id=node_id, data=data)

    def post_retry_node(self, node_id: str, data: Optional[dict]):
        self._emit("post_retry_node", node_id=node_id, data=data)

    def pre_skip_node(self, node_id: str):
        self._emit("pre_skip_node", node_id=node_id)

    def post_skip_node(self, node_id: str):
        self._emit("post_skip_node", node_id=node_id)

    def pre_skip_exclusive_gateway(self, node_id: str, flow_id: str):
        self._emit("pre_skip_exclusive_gateway", node_id=node_id, flow_id=flow_id)

    def post_skip_exclusive_gateway(self, node_id: str, flow_id: str):
        self._emit("post_skip_exclusive_gateway", node_id=node_id, flow_id=flow_id)

    def pre_skip_conditional_parallel_gateway(self, node_id: str, flow_ids: list, converge_gateway_id: str):
        self._emit(
            "pre_skip_conditional_parallel_gateway",
            node_id=node_id,
            flow_ids=flow_ids,
            converge_gateway_id=converge_gateway_id,
        )

    def post_skip_conditional_parallel_gateway(self, node_id: str, flow_ids: list, converge_gateway_id: str):
        self._emit(
            "post_skip_conditional_parallel_gateway",
            node_id=node_id,
            flow_ids=flow_ids,
            converge_gateway_id=converge_gateway_id,
        )

    def pre_forced_fail_activity(self, node_id: str, ex_data: str):
        self._emit("pre_forced_fail_activity", node_id=node_id, ex_data=ex_data)

    def post_forced_fail_activity(self, node_id: str, ex_data: str, old_version: str, new_version: str):
        self._emit(
            "post_forced_fail_activity",
            node_id=node_id,
            ex_data=ex_data,
            old_version=old_version,
            new_version=new_version,
        )

    def pre_callback(self, node_id: str, version: str, data: str):
        self._emit("pre_callback", node_id=node_id, version=version, data=data)

    def post_callback(self, node_id: str, version: str, data: str):
        self._emit("post_callback", node_id=node_id, version=version, data=data)

    def pre_retry_subprocess(self, node_id: str):
        self._emit("pre_retry_subprocess", node_id=node_id)

    def post_retry_subprocess(self, node_id: str):
        self._emit("post_retry_subprocess", node_id=node_id)

    # -- runtime hooks --------------------------------------------------------------------------

    def node_execute_exception(self, root_pipeline_id: str, node_id: str, ex_data: str):
        self._emit(
            "node_execute_exception", root_pipeline_id=root_pipeline_id, node_id=node_id, ex_data=ex_data
        )

    def node_schedule_exception(self, root_pipeline_id: str, node_id: str, ex_data: str):
        self._emit(
            "node_schedule_exception", root_pipeline_id=root_pipeline_id, node_id=node_id, ex_data=ex_data
        )

    def node_execute_fail(self, root_pipeline_id: str, node_id: str):
        self._emit("node_execute_fail", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def node_schedule_fail(self, root_pipeline_id: str, node_id: str):
        self._emit("node_schedule_fail", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def node_enter(self, root_pipeline_id: str, node_id: str):
        self._emit("node_enter", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def node_finish(self, root_pipeline_id: str, node_id: str):
        self._emit("node_finish", root_pipeline_id=root_pipeline_id, node_id=node_id)

    def pipeline_finish(self, pipeline_id: str):
        self._emit("pipeline_finish", pipeline_id=pipeline_id)
