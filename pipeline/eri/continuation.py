"""Where a process goes on from a node that is already FINISHED: shared by the crash takeover and the healer.

A worker that dies after a node finished but before its process moved on leaves the process standing
at that node. Running the node again would set it FINISHED a second time (and run its service again),
so the way on is read back from the rows the node left instead:

* ServiceActivity, EmptyStartEvent, ConvergeGateway: their one way on (a looping activity goes back to
  itself, an ignored failure takes the first flow);
* ExclusiveGateway: its conditions are evaluated again (a gateway only reads the context; a decision
  that changed since, because a parallel branch rewrote a variable in between, is the one taken);
* ParallelGateway, ConditionalParallelGateway: the children a fork creates are rows. While the parent
  is awake and has not joined them, the fork's last unit (sleep, join, the children's messages) never
  committed: it is done again with those children;
* end events (:func:`finish_end_event`, crash takeover only): the pipeline they end is finished if it
  is not yet (an idempotent write), then a subprocess's end goes on at the SubProcess node's next node
  and the root's end ends the process.

Each way on is an :class:`ExecuteResult`; :func:`result_point` wraps it in a recover point that makes the
engine apply it (finish hooks, then the next node, the children or the end) without entering the node.
"""

from typing import Any, Optional

from bamboo_engine.eri.models.handler import ExecuteResult
from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint, HandlerExecuteData
from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.handlers._common import die_result, finish_node, next_result, sleep_result
from bamboo_engine.handlers.exclusive_gateway import NoSingleFlowError, chosen_target
from bamboo_engine.interrupt import ExecuteKeyPoint

_SINGLE_TARGET_TYPES = frozenset({NodeType.EmptyStartEvent, NodeType.ConvergeGateway})
FORK_TYPES = frozenset({NodeType.ParallelGateway, NodeType.ConditionalParallelGateway})
END_EVENT_TYPES = frozenset({NodeType.EmptyEndEvent, NodeType.ExecutableEndEvent})


def rerun_point(version: str) -> ExecuteInterruptPoint:
    """Continue the node's RUNNING run at ``version`` from its handler (the service runs again)."""
    return ExecuteInterruptPoint(
        name=ExecuteKeyPoint.SET_NODE_RUNNING_DONE.value,
        state_already_exist=True,
        running_node_version=version,
        handler_data=HandlerExecuteData(),
    )


def result_point(version: str, result: ExecuteResult) -> ExecuteInterruptPoint:
    """Apply a finished node's result: its finish hooks fire and the result is applied; the node is not
    entered again."""
    return ExecuteInterruptPoint(
        name=ExecuteKeyPoint.EXECUTE_NODE_DONE.value,
        state_already_exist=True,
        running_node_version=version,
        execute_result=result,
        handler_data=HandlerExecuteData(),
    )


def moved_on_point(version: str, next_node_id: str) -> ExecuteInterruptPoint:
    """:func:`result_point` of a node that goes on at ``next_node_id``."""
    return result_point(version, next_result(next_node_id))


def next_of_finished(node: Node, inner_loop: int, error_ignored: bool) -> Optional[str]:
    """The next node of a finished node with one way on; None for the other node types."""
    if node.type == NodeType.ServiceActivity:
        # A failure ignored by ``error_ignorable`` leaves for the first target, even inside a loop.
        if error_ignored and getattr(node, "error_ignorable", False):
            return node.target_nodes[0]
        # Itself while a node loop goes on: the engine then re-enters it, as the dead run would have.
        return node.next_node_id_in_loop(inner_loop)
    if node.type in _SINGLE_TARGET_TYPES and node.target_nodes:
        return node.target_nodes[0]
    return None


def way_on(
    runtime: Any,
    process_id: int,
    node: Node,
    inner_loop: int,
    error_ignored: bool,
    top_pipeline_id: str,
) -> Optional[ExecuteResult]:
    """Where the awake process ``process_id``, standing at the FINISHED ``node``, goes on (reads only).

    None when the rows do not tell: a fork whose children already ran or were sent, an exclusive
    gateway whose conditions no longer choose one flow, an end event (:func:`finish_end_event`
    writes), a SubProcess.
    """
    next_node_id = next_of_finished(node, inner_loop, error_ignored)
    if next_node_id is not None:
        return next_result(next_node_id)
    if node.type == NodeType.ExclusiveGateway:
        try:
            return next_result(chosen_target(runtime, node, top_pipeline_id))  # type: ignore[arg-type]
        except NoSingleFlowError:
            return None
    if node.type in FORK_TYPES:
        children = unjoined_children(runtime, process_id)
        return sleep_result(children) if children else None
    return None


def unjoined_children(runtime: Any, process_id: int) -> list:
    """The live children of an awake process that has not joined them (its fork's unit never committed).

    A process joins its children in the unit that puts it to sleep, and is woken (its join reset) only
    once all of them are dead: an awake process with live children and no join forked them and died
    (``get_unjoined_children`` of the runtime).
    """
    from pipeline.eri.models import Process

    asleep = Process.objects.filter(id=process_id).values_list("asleep", flat=True).first()
    if asleep is None or asleep:
        return []
    return runtime.get_unjoined_children(process_id)


def finish_end_event(runtime: Any, node: Node) -> ExecuteResult:
    """Finish what a FINISHED end event had still to finish, and return where its process goes on.

    The end event finishes itself, then the (sub)pipeline it ends, then (at the root) reports the
    pipeline finished; a worker may have died between any two. ``finish_node`` ignores a node that is
    FINISHED already, so nothing is set FINISHED twice; the root's ``pipeline_finish`` hook may run
    again (hooks are at least once after a crash).
    """
    pipeline_id = node.parent_pipeline_id
    finish_node(runtime, pipeline_id, None)
    if pipeline_id != node.root_pipeline_id:
        return next_result(runtime.get_node(pipeline_id).target_nodes[0])
    runtime.pipeline_finish(pipeline_id)
    return die_result()
