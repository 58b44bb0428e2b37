"""A run interrupted right after a node's own state write went through still finishes.

The trigger is the project's ``post_set_state`` receiver losing its database connection
(``OperationalError`` 2013, one of the runtime's interrupt errors) once, right after the runtime wrote
FINISHED for one node: the event or gateway's write is committed, the step is not done (children not
dispatched, next node not entered, pipeline not finished). The re-sent message must finish the step.
"""

import pytest

from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ExclusiveGateway,
    ParallelGateway,
    ServiceActivity,
    build_tree,
)
from tests.compat.harness import records, run, wait_finished

pytestmark = pytest.mark.integration


def build():
    """start → parallel(a, b) → converge → exclusive(c if true, d never) → converge → end."""
    start, end = EmptyStartEvent(), EmptyEndEvent()
    parallel, exclusive = ParallelGateway(), ExclusiveGateway(conditions={0: "1 == 1", 1: "1 == 0"})
    converge_1, converge_2 = ConvergeGateway(), ConvergeGateway()
    a, b, c, d = (ServiceActivity(component_code="compat_noop") for _ in range(4))
    start.extend(parallel).connect(a, b).converge(converge_1).extend(exclusive).connect(c, d).converge(
        converge_2
    ).extend(end)
    nodes = {
        "start_event": start,
        "parallel_gateway": parallel,
        "converge_gateway": converge_1,
        "exclusive_gateway": exclusive,
        "end_event": end,
    }
    return build_tree(start), {name: node.id for name, node in nodes.items()}, [a.id, b.id, c.id]


@pytest.mark.parametrize(
    "interrupted", ["start_event", "parallel_gateway", "converge_gateway", "exclusive_gateway", "end_event"]
)
def test_interrupt_after_the_state_write_still_finishes_the_run(compat_session, worker, interrupted):
    tree, node_ids, activities = build()
    compat_session.fault_after_state(node_ids[interrupted], "FINISHED")

    root_id = run(tree)

    wait_finished(root_id, worker)
    assert not (compat_session.fault_dir / f"{node_ids[interrupted]}.FINISHED").exists(), "fault not hit"
    for activity in activities:
        assert [row.name for row in records([activity], source="post_set_state")][-1] == "FINISHED"
