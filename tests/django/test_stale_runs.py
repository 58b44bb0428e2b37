"""A node forced to fail while its service runs, on the Django runtime: the stale run's writes roll back.

The engine writes a run's results and its versioned final state in one ``atomic_step`` (a transaction
here): the version mismatch rolls the result writes back, so the forced failure's ``ex_data`` stays.
"""

import collections

import pytest

from bamboo_engine import api
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from pipeline.eri.models import Schedule
from tests.contract import trees

FORCED = "forced by the operator"
CALLS: collections.Counter = collections.Counter()
RUNTIME = {}


def force(node_id: str) -> None:
    result = api.forced_fail_activity(RUNTIME["runtime"], node_id, FORCED)
    assert result.result, result.message


class ForcedInExecute(Service):
    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        force(self.id)
        data.set_outputs("late", "execute result")
        return True


class ForcedInLastPoll(Service):
    __need_schedule__ = True
    interval = StaticIntervalGenerator(1)

    def execute(self, data, parent_data):
        CALLS["execute"] += 1
        return True

    def schedule(self, data, parent_data, callback_data=None):
        CALLS["schedule"] += 1
        force(self.id)
        data.set_outputs("late", "poll result")
        self.finish_schedule()
        return True


@pytest.fixture
def race_harness(harness):
    CALLS.clear()
    RUNTIME["runtime"] = harness.runtime
    harness.register_service("forced_in_execute", ForcedInExecute)
    harness.register_service("forced_in_last_poll", ForcedInLastPoll)
    yield harness
    RUNTIME.clear()


@pytest.mark.parametrize("code", ["forced_in_execute", "forced_in_last_poll"])
def test_a_stale_run_keeps_the_forced_failure(race_harness, code):
    act = trees.activity(code)
    race_harness.start(trees.linear_tree(act))
    race_harness.run_until_idle()  # a StateVersionNotMatchError escaping a task would fail here

    assert race_harness.state_name(act.id) == "FAILED"
    outputs = race_harness.outputs(act.id)
    assert (outputs["ex_data"], outputs["_forced_failed"]) == (FORCED, True)
    assert "late" not in outputs
    for schedule in Schedule.objects.filter(node_id=act.id):
        assert (schedule.finished or schedule.expired) and not schedule.scheduling
