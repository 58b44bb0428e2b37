"""An execute message for a dead process is dropped before it writes on the process row.

The ERI cannot tell a dead process from ``get_process_info``; a runtime whose ``wake_up`` refuses dead
rows returns False (its declared result is None = woken), and the engine then drops the message.
"""

from bamboo_engine import api, states
from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, build_tree
from bamboo_engine.plugin import Service
from bamboo_engine.testing import InMemoryRuntime


class Counting(Service):
    executions = 0

    def execute(self, data, parent_data):
        type(self).executions += 1
        return True


class DeadAwareRuntime(InMemoryRuntime):
    """``wake_up`` refuses (returns False for) a dead process, as a conditional UPDATE would."""

    def wake_up(self, process_id):
        with self._store.lock:
            if self._process(process_id).dead:
                return False
        return super().wake_up(process_id)


def row_snapshot(runtime, process_id):
    record = runtime._store.processes[process_id]
    return (record.asleep, record.dead, record.current_node_id, record.last_heartbeat)


def test_stale_execute_message_of_a_dead_process_changes_nothing():
    runtime = DeadAwareRuntime()
    try:
        runtime.register_service("dead_msg_counting", Counting)
        start, act, end = (
            EmptyStartEvent(),
            ServiceActivity(component_code="dead_msg_counting"),
            EmptyEndEvent(),
        )
        start.extend(act).extend(end)
        tree = build_tree(start)
        assert api.run_pipeline(runtime, tree).result
        runtime.run_until_idle()
        assert runtime.get_state(tree["id"]).name == states.FINISHED
        (process_id,) = runtime._store.processes
        before = row_snapshot(runtime, process_id)
        assert before[1] is True  # the root process died at the end event
        version = runtime.get_state(act.id).version
        executions = Counting.executions

        runtime.clock.advance(60)  # a heartbeat written now would differ
        # A redelivered message of the finished process (e.g. its broker ack was lost).
        runtime.execute(
            process_id=process_id, node_id=act.id, root_pipeline_id=tree["id"], parent_pipeline_id=tree["id"]
        )
        runtime.run_until_idle()

        assert row_snapshot(runtime, process_id) == before
        assert runtime.get_state(act.id).version == version
        assert Counting.executions == executions
    finally:
        runtime.close()


def test_wake_up_returning_none_still_runs_the_message():
    """The ERI declares ``wake_up -> None``: only an explicit False drops a message."""
    runtime = InMemoryRuntime()
    try:
        runtime.register_service("dead_msg_counting_plain", Counting)
        start = EmptyStartEvent()
        act, end = ServiceActivity(component_code="dead_msg_counting_plain"), EmptyEndEvent()
        start.extend(act).extend(end)
        tree = build_tree(start)
        assert api.run_pipeline(runtime, tree).result
        runtime.run_until_idle()
        assert runtime.get_state(tree["id"]).name == states.FINISHED
    finally:
        runtime.close()
