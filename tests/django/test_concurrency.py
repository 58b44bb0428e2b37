"""Many pipelines run by several worker threads at once: every one finishes (no deadlock, no stall).

SQLite serialises writers, so this checks the runtime's logic under interleaving (joins, wake-ups,
schedule locks, duplicate-free dispatch), not database throughput.
"""

from bamboo_engine.builder import ConvergeGateway, EmptyEndEvent, EmptyStartEvent, ParallelGateway, build_tree
from pipeline.eri.models import ExecutionHistory, Process, Schedule, State
from tests.contract import trees

PIPELINES = 100


def _tree():
    branches = [trees.activity("copy_node", value=i) for i in range(3)]
    start, end, cg = EmptyStartEvent(), EmptyEndEvent(), ConvergeGateway()
    poll = trees.activity("poll_node", polls=2)
    start.extend(ParallelGateway()).connect(*branches).converge(cg).extend(poll).extend(end)
    return build_tree(start)


def test_many_pipelines_with_concurrent_workers(harness):
    roots = [harness.start(_tree()) for _ in range(PIPELINES)]
    harness.run_with_workers(workers=6)
    names = harness.runtime.batch_get_state_name(roots)
    assert sorted(set(names.values())) == ["FINISHED"] and len(names) == PIPELINES
    assert Process.objects.filter(dead=False).count() == 0
    assert Process.objects.count() == PIPELINES * 4
    assert set(Schedule.objects.values_list("finished", "scheduling", "expired", "schedule_times")) == {
        (True, False, False, 2)
    }
    # Nothing ran twice: no node was entered again, no history was archived.
    assert not State.objects.exclude(loop=1).exists() and not ExecutionHistory.objects.exists()
