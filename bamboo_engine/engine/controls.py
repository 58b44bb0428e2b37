"""Control operations of the Engine: start a run, pause/resume/revoke, forced fail, callback.

Retry and skip live in :mod:`bamboo_engine.engine.retry_skip`. Each operation checks all of its
preconditions before the first write, then calls the runtime's ``pre_<op>`` hook, applies its
effect, dispatches any message, and calls ``post_<op>``.
"""

from typing import Optional

from bamboo_engine import states
from bamboo_engine.engine.control_base import PIPELINE_NODE_TYPES
from bamboo_engine.engine.retry_skip import RetrySkipMixin
from bamboo_engine.eri import CallbackData, HookType, NodeType
from bamboo_engine.exceptions import InvalidOperationError, NotFoundError, SerializationError
from bamboo_engine.handler import atomic_step
from bamboo_engine.retry_policy import PENDING_KEY, pending_retry
from bamboo_engine.utils.constants import RuntimeSettings
from bamboo_engine.validator.api import validate_and_process_pipeline, validate_pipeline_start_node


class ControlsMixin(RetrySkipMixin):
    """Every control operation of :class:`bamboo_engine.engine.Engine` (they raise on failure)."""

    # ---- run ---------------------------------------------------------------------------------------

    def run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: Optional[dict] = None,
        root_pipeline_context: Optional[dict] = None,
        subprocess_context: Optional[dict] = None,
        **options,
    ):
        """Validate ``pipeline`` (mutating it), let the runtime persist it, and dispatch its first node.

        Options: ``cycle_tolerate`` (allow loops), ``start_node_id`` (begin at another allowed node) and
        runtime-specific ones (e.g. ``queue``, ``priority``), all passed on to the runtime.
        """
        root_pipeline_data = {} if root_pipeline_data is None else root_pipeline_data
        root_pipeline_context = {} if root_pipeline_context is None else root_pipeline_context
        subprocess_context = {} if subprocess_context is None else subprocess_context

        validate_and_process_pipeline(pipeline, options.get("cycle_tolerate", False))
        start_node_id = options.get("start_node_id") or pipeline["start_event"]["id"]
        validate_pipeline_start_node(pipeline, start_node_id)
        if self.runtime.get_config(RuntimeSettings.PIPELINE_ENABLE_ROLLBACK.value):
            self.runtime.set_pipeline_token(pipeline)

        hook_args = (pipeline, root_pipeline_data, root_pipeline_context, subprocess_context)
        self.runtime.pre_prepare_run_pipeline(*hook_args, **options)
        with atomic_step(self.runtime):  # the stored run and its first message: both or neither
            process_id = self.runtime.prepare_run_pipeline(*hook_args, **options)
            self.runtime.execute(
                process_id=process_id,
                node_id=start_node_id,
                root_pipeline_id=pipeline["id"],
                parent_pipeline_id=pipeline["id"],
            )
        self.runtime.post_prepare_run_pipeline(*hook_args, **options)

    # ---- pipelines ---------------------------------------------------------------------------------

    def pause_pipeline(self, pipeline_id: str):
        """Suspend a (sub)pipeline; its processes suspend when they reach their next node.

        Automatic retries pending in it (``retry_policy``) are cancelled: their nodes stay FAILED.
        """
        state = self._get_pipeline_state(pipeline_id)
        self._require_transit(pipeline_id, state, states.SUSPENDED, "pause")
        self.runtime.pre_pause_pipeline(pipeline_id)
        self.runtime.set_state(node_id=pipeline_id, to_state=states.SUSPENDED, version=state.version)
        self._cancel_pending_retries_in(pipeline_id, state.root_id)
        self.runtime.post_pause_pipeline(pipeline_id)

    def revoke_pipeline(self, pipeline_id: str):
        """Revoke a pipeline; its processes die when they reach their next node."""
        state = self._get_pipeline_state(pipeline_id)
        self._require_transit(pipeline_id, state, states.REVOKED, "revoke")
        self.runtime.pre_revoke_pipeline(pipeline_id)
        self.runtime.set_state(
            node_id=pipeline_id, to_state=states.REVOKED, version=state.version, set_archive_time=True
        )
        self.runtime.post_revoke_pipeline(pipeline_id)

    def resume_pipeline(self, pipeline_id: str):
        """Resume a SUSPENDED pipeline and re-run every process it suspended."""
        state = self._get_pipeline_state(pipeline_id)
        if state.name != states.SUSPENDED:
            raise InvalidOperationError(
                f"pipeline({pipeline_id}) state is not SUSPENDED, actual {state.name}"
            )
        self.runtime.pre_resume_pipeline(pipeline_id)
        with atomic_step(self.runtime):
            self.runtime.set_state(node_id=pipeline_id, to_state=states.RUNNING, version=state.version)
            self._resume_processes_suspended_by(pipeline_id)
        self.runtime.post_resume_pipeline(pipeline_id)

    # ---- node appointments -------------------------------------------------------------------------

    def pause_node_appoint(self, node_id: str):
        """Mark a node SUSPENDED in advance; a process reaching it suspends there."""
        node = self._get_node(node_id)
        if node.type in PIPELINE_NODE_TYPES:
            raise InvalidOperationError(
                f"can not use pause_node_appoint api for {node.type.value} node({node_id})"
            )
        state = self.runtime.get_state_or_none(node_id)
        if state is not None and state.name == states.RUNNING:
            # a running node would then fail to finish (SUSPENDED can not move to FINISHED/FAILED)
            raise InvalidOperationError(f"can not pause node({node_id}) in advance, actual state RUNNING")
        self._require_transit(node_id, state, states.SUSPENDED, "pause")
        self.runtime.pre_pause_node(node_id)
        self._node_hook(node, HookType.PRE_PAUSE_NODE)
        self.runtime.set_state(
            node_id=node_id, to_state=states.SUSPENDED, version=state.version if state else None
        )
        self.runtime.post_pause_node(node_id)
        self._node_hook(node, HookType.POST_PAUSE_NODE)

    def resume_node_appoint(self, node_id: str):
        """Lift a node appointment and re-run the processes suspended at it."""
        node = self._get_node(node_id)
        if node.type in PIPELINE_NODE_TYPES:
            raise InvalidOperationError(
                f"can not use resume_node_appoint api for {node.type.value} node({node_id})"
            )
        state = self._get_state(node_id)
        if state.name != states.SUSPENDED:
            raise InvalidOperationError(f"{node_id} state is not SUSPENDED, actual {state.name}")
        self.runtime.pre_resume_node(node_id)
        self._node_hook(node, HookType.PRE_RESUME_NODE)
        with atomic_step(self.runtime):
            self.runtime.set_state(node_id=node_id, to_state=states.READY, version=state.version)
            self._resume_processes_suspended_by(node_id)
        self.runtime.post_resume_node(node_id)
        self._node_hook(node, HookType.POST_RESUME_NODE)

    # ---- activities --------------------------------------------------------------------------------

    def forced_fail_activity(self, node_id: str, ex_data: str, send_post_set_state_signal: bool = True):
        """Fail a RUNNING activity now and kill its process.

        The state gets a new version, so a late execute/schedule result of the old run is dropped. On a
        FAILED activity whose automatic retry is pending (``retry_policy``) it cancels that retry.
        """
        node = self._get_node(node_id)
        if node.type != NodeType.ServiceActivity:
            raise InvalidOperationError(f"{node_id} is not activity, actual: {node.type.value}")
        state = self._get_state(node_id)
        if state.name == states.FAILED:
            self._cancel_automatic_retry(node, state.version, ex_data)
            return
        if state.name != states.RUNNING:
            raise InvalidOperationError(f"{node_id} state is not {states.RUNNING}, actual {state.name}")
        process_id = self.runtime.get_process_id_with_current_node_id(node_id)
        if process_id is None:
            raise InvalidOperationError(
                f"can not find process with current node id: {node_id} (state RUNNING)"
            )

        self.runtime.pre_forced_fail_activity(node_id, ex_data)
        self._node_hook(node, HookType.PRE_FORCED_FAIL_ACTIVITY)
        outputs = self.runtime.get_execution_data_outputs(node_id)
        # the version guard refuses the write if the node moved on since we read its state
        new_version = self.runtime.set_state(
            node_id=node_id,
            to_state=states.FAILED,
            version=state.version,
            refresh_version=True,
            set_archive_time=True,
            send_post_set_state_signal=send_post_set_state_signal,
        )
        outputs["ex_data"] = ex_data
        outputs["_forced_failed"] = True
        self.runtime.set_execution_data_outputs(node_id, outputs)
        self.runtime.kill(process_id)
        self._expire_schedule(node_id, state.version)
        self.runtime.post_forced_fail_activity(node_id, ex_data, state.version, new_version)
        self._node_hook(node, HookType.POST_FORCED_FAIL_ACTIVITY)

    def _cancel_pending_retries_in(self, pipeline_id: str, root_id: str) -> None:
        """Remove the pending automatic retries of the FAILED nodes inside ``pipeline_id``.

        The delayed messages then find nothing to retry. One read of the run's states, and one of the
        outputs of each FAILED node inside the pipeline; a pause is rare, a retry lost to a resume that
        came before its due time would not be.
        """
        run_states = self.runtime.get_state_by_root(root_id or pipeline_id)
        parent_of = {s.node_id: s.parent_id for s in run_states}
        for failed in (s for s in run_states if s.name == states.FAILED):
            if not _inside(failed.node_id, pipeline_id, parent_of):
                continue
            try:
                outputs = self.runtime.get_execution_data_outputs(failed.node_id)
            except SerializationError:  # outputs nobody can read hold no pending retry of ours
                continue
            if pending_retry(outputs) is not None:
                outputs.pop(PENDING_KEY, None)
                self.runtime.set_execution_data_outputs(failed.node_id, outputs)

    def _cancel_automatic_retry(self, node, version: str, ex_data: str) -> None:
        """A forced failure of a FAILED node waiting for its automatic retry: the retry is cancelled.

        The node stays FAILED at its version (its process already sleeps there, ready for ``retry_node``
        or ``skip_node``); the pending retry is removed from its outputs, so the delayed message finds
        nothing to retry, and ``ex_data`` is the one given.

        Raises:
            InvalidOperationError: no automatic retry is pending (a plain FAILED node).
        """
        outputs = self.runtime.get_execution_data_outputs(node.id)
        if pending_retry(outputs) is None:
            raise InvalidOperationError(f"{node.id} state is not {states.RUNNING}, actual {states.FAILED}")
        self.runtime.pre_forced_fail_activity(node.id, ex_data)
        self._node_hook(node, HookType.PRE_FORCED_FAIL_ACTIVITY)
        outputs.pop(PENDING_KEY, None)
        outputs["ex_data"] = ex_data
        outputs["_forced_failed"] = True
        self.runtime.set_execution_data_outputs(node.id, outputs)
        self.runtime.post_forced_fail_activity(node.id, ex_data, version, version)
        self._node_hook(node, HookType.POST_FORCED_FAIL_ACTIVITY)

    def callback(self, node_id: str, version: str, data: dict):
        """Hand ``data`` to the waiting schedule of ``node_id`` at ``version`` and dispatch it."""
        node = self._get_node(node_id)
        state = self._get_state(node_id)
        process_info = self._require_sleeping_process(node_id, state)
        try:
            schedule = self.runtime.get_schedule_with_node_and_version(node_id, version)
        except NotFoundError:
            raise NotFoundError(f"schedule of node({node_id}) with version({version}) does not exist")
        if state.version != version:
            # the caller quotes an old run: make sure that run's schedule can never fire again
            self.runtime.expire_schedule(schedule.id)
            raise InvalidOperationError(f"node version {version} not exist")
        if schedule.finished:
            raise InvalidOperationError(
                f"callback to finished schedule of node({node_id}) version({version})"
            )
        if schedule.expired:
            raise InvalidOperationError(f"callback to expired schedule of node({node_id}) version({version})")

        # the published ERI annotates callback data as str and schedule ids as str; the values are a
        # dict and the int schedule id
        data_id = self.runtime.set_callback_data(node_id, state.version, data)
        callback_data = CallbackData(id=data_id, node_id=node_id, version=state.version, data=data)
        self.runtime.pre_callback(node_id, version, data)  # type: ignore[arg-type]
        self._node_hook(node, HookType.PRE_CALLBACK, callback_data=callback_data)
        self.runtime.schedule(
            process_id=process_info.process_id,
            node_id=node_id,
            schedule_id=schedule.id,  # type: ignore[arg-type]
            callback_data_id=data_id,
        )
        self.runtime.post_callback(node_id, version, data)  # type: ignore[arg-type]
        self._node_hook(node, HookType.POST_CALLBACK, callback_data=callback_data)

    def _expire_schedule(self, node_id: str, version: str) -> None:
        """Expire the schedule of a forced-failed run so no callback or poll can reach it."""
        try:
            schedule = self.runtime.get_schedule_with_node_and_version(node_id, version)
        except NotFoundError:
            return
        if not schedule.finished and not schedule.expired:
            self.runtime.expire_schedule(schedule.id)


def _inside(node_id: str, pipeline_id: str, parent_of: dict) -> bool:
    """Whether ``node_id`` lies in ``pipeline_id`` or in a pipeline nested in it (``parent_of`` of states)."""
    seen = set()
    current = parent_of.get(node_id)
    while current and current not in seen:
        if current == pipeline_id:
            return True
        seen.add(current)
        current = parent_of.get(current)
    return False
