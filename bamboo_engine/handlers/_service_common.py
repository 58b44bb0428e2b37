"""What the ServiceActivity execute and schedule phases share: the service, hooks, and settling."""

import functools
import logging
import traceback
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from bamboo_engine import states
from bamboo_engine.codec import drop_unstorable
from bamboo_engine.context import Context
from bamboo_engine.eri.models.event import HookType
from bamboo_engine.eri.models.node import ServiceActivity as ServiceActivityNode
from bamboo_engine.eri.models.runtime import CallbackData, ExecutionData, ProcessInfo
from bamboo_engine.exceptions import UnstorableValueError
from bamboo_engine.handler import INNER_LOOP_KEY, LOOP_KEY, NodeHandler
from bamboo_engine.handlers._common import count_exception, settle_node
from bamboo_engine.handlers._service_retry import PlannedRetry, count_retry, plan_retry, send_retry
from bamboo_engine.interrupt import is_interrupt_error

logger = logging.getLogger("bamboo_engine")

RESULT_KEY = "_result"

# phase -> (before the call, after a successful call, when it raised). Each is both a runtime hook
# (same name: the Django runtime sends it as a ``pipeline_event``) and a service hook.
_PHASE_HOOKS = {
    "execute": (HookType.PRE_EXECUTE, HookType.POST_EXECUTE, HookType.NODE_EXECUTE_EXCEPTION),
    "schedule": (HookType.PRE_SCHEDULE, HookType.POST_SCHEDULE, HookType.NODE_SCHEDULE_EXCEPTION),
}


# What the runtime stores for an ExecutionData: ``serialize_execution_data`` of its inputs and outputs.
Stored = Optional[Tuple[str, str]]


class ServiceLoadError(Exception):
    """The node's service could not be obtained; ``str(error)`` is the ex_data."""


@dataclass
class WarmPoll:
    """What ``execute`` keeps for a first poll run right after it in the same worker.

    Attributes:
        execution_data: the node's execution data, as last saved (``stored``).
        root_data: the root pipeline data the service saw.
        data_outputs: the node's output mapping ``{origin_key: context_key}``; None when not read yet.
        stored: the serialized form of what the runtime holds for ``execution_data``.
    """

    execution_data: ExecutionData
    root_data: ExecutionData
    data_outputs: Optional[Dict[str, str]]
    stored: Stored


def stored_form(runtime, execution_data: ExecutionData) -> Stored:
    """The runtime's serialized form of ``execution_data``; None when it cannot be compared."""
    try:
        serialized = runtime.serialize_execution_data(
            {"inputs": dict(execution_data.inputs), "outputs": dict(execution_data.outputs)}
        )
    except Exception:  # noqa: BLE001 - not serializable as a whole: just write it
        return None
    return tuple(serialized)


def execution_data_changed(runtime, execution_data: ExecutionData, stored: Stored) -> bool:
    """Whether ``execution_data`` differs from what the runtime holds (``stored``; unknown: changed).

    A poll that changed nothing (the common case: the service finishes on its first poll) then costs
    no write. Comparing the runtime's own serialized form keeps the skip exact: what would be written
    is byte for byte what is stored.
    """
    if stored is None:
        return True
    current = stored_form(runtime, execution_data)
    return current is None or current != stored


def unstorable_ex_data(node_id: str, errors: List[UnstorableValueError]) -> str:
    """The ``ex_data`` of a node whose data held values the runtime cannot store (``errors``)."""
    text = f"node({node_id}) failed to store its data: {errors[0]}"
    others = ", ".join(f"{err.key} ({err.value_type})" for err in errors[1:])
    return f"{text}; also refused: {others}" if others else text


def exception_ex_data(service, err: Exception) -> str:
    """The ``ex_data`` of a service that raised ``err`` (call inside the ``except`` block).

    The full traceback, unless the service names ``err``'s type among its ``brief_exceptions()``
    (optional; the Django ServiceWrapper maps ``PLUGIN_SPECIFIC_EXCEPTIONS`` to it): expected,
    plugin-specific errors then show only their message, ``str(err)``.
    """
    brief_exceptions = getattr(service, "brief_exceptions", None)
    if brief_exceptions is not None:
        try:
            brief = tuple(brief_exceptions())
        except Exception:  # a broken setting must not hide the plugin's own error
            logger.exception("node service brief_exceptions() failed, ex_data keeps the traceback")
            brief = ()
        if brief and isinstance(err, brief):
            return str(err)
    return traceback.format_exc()


class ServiceHandlerBase(NodeHandler):
    """Helpers for :class:`~bamboo_engine.handlers.service_activity.ServiceActivityHandler`."""

    node: ServiceActivityNode
    warm_poll: Optional[WarmPoll] = None
    # The node's state version changed under this run (forced fail, timeout): its results were dropped.
    stale: bool = False
    # The service's last call raised (rather than returned False): ``retry_on`` tells them apart. Not
    # in the interrupt check point (its published fields are fixed): a failure recovered from one counts
    # as returned False.
    service_raised: bool = False

    def ready_for_inline_schedule(self) -> bool:
        return self.warm_poll is not None

    def _service(self, process_info: ProcessInfo, version: str, loop: int, inner_loop: int):
        """The node's service with its runtime attributes set up (also kept in ``self.service``).

        Raises:
            ServiceLoadError: the runtime has no such service (a runtime interrupt error propagates).
        """
        node = self.node
        try:
            service = self.runtime.get_service(
                code=node.code, version=node.version, name=node.name, inner_loop=inner_loop
            )
        except Exception as err:
            if is_interrupt_error(self.runtime, err):
                raise
            raise ServiceLoadError(
                f"service(code={node.code}, version={node.version}) of node({node.id}) load failed: {err}"
            ) from err
        service.setup_runtime_attributes(
            id=node.id,
            version=version,
            top_pipeline_id=process_info.top_pipeline_id,
            root_pipeline_id=process_info.root_pipeline_id,
            loop=loop,
            inner_loop=inner_loop,
        )
        self.service = service
        return service

    def _hook(
        self,
        service,
        hook: HookType,
        data: ExecutionData,
        root_pipeline_data: ExecutionData,
        callback_data: Optional[CallbackData] = None,
    ) -> None:
        """Dispatch a service hook; hook errors never affect the node."""
        try:
            if not service.need_run_hook():
                return
            if callback_data is None:
                service.hook_dispatch(hook, data, root_pipeline_data)
            else:
                service.hook_dispatch(hook, data, root_pipeline_data, callback_data)
        except Exception:
            logger.exception("node(%s) service hook %s failed", self.node.id, hook.value)

    def _notify(self, hook: HookType, root_pipeline_id: str, before_service: bool) -> None:
        """Call the runtime hook named ``hook.value`` (e.g. ``pre_execute``): a notification.

        Its failure never changes the node's outcome. Only a runtime interrupt error raised before the
        service ran propagates (the message is sent again, and nothing has run yet); after the service
        ran, re-sending would run it twice, so such an error is logged like any other.
        """
        try:
            getattr(self.runtime, hook.value)(root_pipeline_id, self.node.id)
        except Exception as err:
            if before_service and is_interrupt_error(self.runtime, err):
                raise
            logger.exception("node(%s) runtime hook %s failed", self.node.id, hook.value)

    def _call_service(
        self,
        phase: str,
        service,
        call: Callable[[], Any],
        execution_data: ExecutionData,
        root_data: ExecutionData,
        root_pipeline_id: str,
        callback_data: Optional[CallbackData] = None,
    ) -> bool:
        """Run the service's ``phase`` (``call``) between its hooks; returns whether it failed.

        The ``pre_`` hooks (runtime, then service) run before every call, the ``post_`` ones only after a
        successful one. An exception fails the node with the traceback as ``ex_data`` (see
        :func:`exception_ex_data`) and fires the exception hooks.
        """
        pre_hook, post_hook, exception_hook = _PHASE_HOOKS[phase]
        self._notify(pre_hook, root_pipeline_id, before_service=True)
        self._hook(service, pre_hook, execution_data, root_data)
        try:
            succeeded = call()
        except Exception as err:  # noqa: BLE001 - plugin code may raise anything
            self.service_raised = True
            count_exception(self.node, phase)
            logger.warning("node(%s) service %s raised:\n%s", self.node.id, phase, traceback.format_exc())
            ex_data = exception_ex_data(service, err)
            execution_data.outputs["ex_data"] = ex_data
            getattr(self.runtime, exception_hook.value)(root_pipeline_id, self.node.id, ex_data)
            self._hook(service, exception_hook, execution_data, root_data, callback_data)
            return True
        if succeeded:
            self._notify(post_hook, root_pipeline_id, before_service=False)
            self._hook(service, post_hook, execution_data, root_data)
        return not succeeded

    def _storable_outcome(self, execution_data: ExecutionData, failed: bool) -> Tuple[bool, Tuple[str, str]]:
        """``(failed, serialized outputs)`` of a service call, once its data is known to be storable.

        Checked right after the service ran, before anything is written: a value the runtime cannot
        store (an object, a lambda, ... with pickle off) is dropped from the data and named in
        ``ex_data``, and the node fails as if the service had returned False (fail hooks, FAILED, the
        process sleeps) instead of the write raising later with the node still RUNNING.
        """
        serialize = self.runtime.serialize_execution_data
        try:
            serialize(dict(execution_data.inputs))
            return failed, serialize(dict(execution_data.outputs))
        except UnstorableValueError:
            pass
        self._drop_unstorable(execution_data)
        return True, serialize(dict(execution_data.outputs))

    def _drop_unstorable(self, execution_data: ExecutionData) -> None:
        """Remove what the runtime cannot store from ``execution_data``, naming it in ``ex_data``.

        An ``ex_data`` already there (the service's, or an earlier check's) is kept, this one appended.
        """
        parts = {"inputs": execution_data.inputs, "outputs": execution_data.outputs}
        errors = drop_unstorable(self.runtime.serialize_execution_data, parts)
        if errors:
            ex_data = unstorable_ex_data(self.node.id, errors)
            logger.warning(ex_data)
            earlier = execution_data.outputs.get("ex_data")  # the service's own message stays first
            execution_data.outputs["ex_data"] = f"{earlier}\n{ex_data}" if earlier else ex_data

    @staticmethod
    def _mark_outputs(outputs: Dict, failed: bool, loop: int, inner_loop: int) -> None:
        """Every outcome carries ``_result``, ``_loop`` and ``_inner_loop`` (without offset)."""
        outputs[RESULT_KEY] = not failed
        outputs[LOOP_KEY] = loop
        outputs[INNER_LOOP_KEY] = inner_loop

    def _settle(
        self,
        process_info: ProcessInfo,
        data_outputs: Dict[str, str],
        execution_data: ExecutionData,
        failed: bool,
        version: str,
        inner_loop: int,
        on_fail: Callable[[], None],
        stored: Stored = None,
    ) -> Optional[str]:
        """Finish or fail the node after its service ran; returns the next node id (None = sleep).

        Outputs are mapped into the context in every branch (also on plain failure, so downstream
        retries see them) and before the final state is written, so observers of the state see them.
        A stale run (the state version changed meanwhile) writes nothing, sets :attr:`stale` and
        returns None (see :func:`~bamboo_engine.handlers._common.settle_node`).

        Args:
            stored: what the runtime already holds for the execution data, if known (saves a write).
        """
        node = self.node
        pipeline_id = process_info.top_pipeline_id
        error_ignored = False
        retry: Optional[PlannedRetry] = None
        next_node_id: Optional[str]
        if not failed:
            next_node_id = node.next_node_id_in_loop(inner_loop)
        elif node.error_ignorable:
            next_node_id, error_ignored = node.target_nodes[0], True
        elif node.loop_fail_skip and node.loop_times:
            next_node_id, error_ignored = node.next_node_id_in_loop(inner_loop), True
        else:
            on_fail()
            next_node_id = None
            self._drop_unstorable(execution_data)  # a fail hook may have added such values
            retry = plan_retry(self.runtime, node, execution_data, self.service_raised)

        save = execution_data_changed(self.runtime, execution_data, stored)

        def write_results() -> None:
            if save:
                self.runtime.set_execution_data(node.id, execution_data)
            if data_outputs:
                Context(self.runtime, [], {}, inner_loop).extract_outputs(
                    pipeline_id, data_outputs, execution_data.outputs, node=node
                )

        to_state = states.FAILED if next_node_id is None else states.FINISHED
        writes = write_results if save or data_outputs else None
        after_state = None
        if retry is not None:
            after_state = functools.partial(send_retry, self.runtime, process_info, node.id, version, retry)
        if not settle_node(self.runtime, node.id, version, to_state, writes, error_ignored, after_state):
            self.stale = True
            return None
        if retry is not None:
            count_retry(node, retry)
        return next_node_id
