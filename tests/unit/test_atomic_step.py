"""The optional ``atomic_step`` capability: "asleep implies sent" and runtimes without it.

The engine puts a process to sleep in one unit with the message it waits for (children after a fork,
the schedule row and its first POLL, the next POLL of an inline poll), and ends a child in one unit
with the dispatch of its parent. A runtime without the capability runs the same steps one by one.
"""

import contextlib
from typing import List, Set, Tuple

import pytest

from bamboo_engine import api, states
from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    ServiceActivity,
    build_tree,
)
from bamboo_engine.plugin import Service, StaticIntervalGenerator
from bamboo_engine.testing import InMemoryRuntime

WATCHED = ("sleep", "join", "execute", "set_schedule", "set_next_schedule", "child_process_finish")


class Empty(Service):
    def execute(self, data, parent_data):
        return True


class TwoPolls(Service):
    """First poll inline (due at once), the second through a message."""

    __need_schedule__ = True
    interval = StaticIntervalGenerator(0)

    def execute(self, data, parent_data):
        return True

    def schedule(self, data, parent_data, callback_data=None):
        polls = (data.get_one_of_outputs("polls") or 0) + 1
        data.set_outputs("polls", polls)
        if polls == 2:
            self.finish_schedule()
        return True


class SlowPoll(TwoPolls):
    interval = StaticIntervalGenerator(3)


def fork_tree():
    start, end = EmptyStartEvent(), EmptyEndEvent()
    pg, cg = ParallelGateway(), ConvergeGateway()
    start.extend(pg).connect(
        ServiceActivity(component_code="empty"), ServiceActivity(component_code="two_polls")
    ).converge(cg).extend(end)
    return build_tree(start)


def slow_tree():
    start, end = EmptyStartEvent(), EmptyEndEvent()
    start.extend(ServiceActivity(component_code="slow_poll")).extend(end)
    return build_tree(start)


def make_runtime(runtime_cls=InMemoryRuntime) -> InMemoryRuntime:
    rt = runtime_cls(executor="sync")
    rt.register_service("empty", Empty)
    rt.register_service("two_polls", TwoPolls)
    rt.register_service("slow_poll", SlowPoll)
    return rt


def record_units(rt: InMemoryRuntime) -> List[Tuple[int, str]]:
    """Log ``(unit number or 0 outside a unit, method)`` for the watched calls of ``rt``."""
    log: List[Tuple[int, str]] = []
    current = {"unit": 0, "count": 0}
    original_unit = rt.atomic_step

    @contextlib.contextmanager
    def unit():
        outer = current["unit"]
        if outer == 0:
            current["count"] += 1
            current["unit"] = current["count"]
        try:
            with original_unit():
                yield
        finally:
            current["unit"] = outer

    def watch(name, method):
        def called(*args, **kwargs):
            log.append((current["unit"], name))
            return method(*args, **kwargs)

        return called

    rt.atomic_step = unit  # type: ignore[method-assign]
    for name in WATCHED:
        setattr(rt, name, watch(name, getattr(rt, name)))
    return log


def units_with(log: List[Tuple[int, str]], name: str) -> Set[int]:
    return {unit for unit, called in log if called == name}


@pytest.mark.parametrize("tree_of", [fork_tree, slow_tree])
def test_every_sleep_shares_its_unit_with_what_the_process_waits_for(tree_of):
    rt = make_runtime()
    tree = tree_of()
    assert api.run_pipeline(rt, tree).result
    log = record_units(rt)
    rt.run_until_idle()
    assert rt.get_state(tree["id"]).name == states.FINISHED

    for name in ("join", "set_next_schedule", "child_process_finish"):
        assert 0 not in units_with(log, name), (name, log)
    # a schedule row is created in the sleep's unit, or outside any unit for an inline poll (awake)
    assert units_with(log, "set_schedule") - {0} <= units_with(log, "sleep"), log
    sends = units_with(log, "execute") | units_with(log, "set_next_schedule")
    # no node fails or waits for a callback here, so every sleep waits for a message of its unit
    assert units_with(log, "sleep") <= sends, log


def test_forks_and_inline_polls_put_the_sleep_before_the_sends_in_one_unit():
    rt = make_runtime()
    tree = fork_tree()
    assert api.run_pipeline(rt, tree).result
    log = record_units(rt)
    rt.run_until_idle()

    join_unit = next(unit for unit, called in log if called == "join")
    in_join_unit = [called for unit, called in log if unit == join_unit]
    assert in_join_unit == ["sleep", "join", "execute", "execute"]
    poll_unit = next(unit for unit, called in log if called == "set_next_schedule")
    assert [called for unit, called in log if unit == poll_unit] == ["sleep", "set_next_schedule"]


class WithoutUnits(InMemoryRuntime):
    """A runtime implementing only the ERI: it does not declare ``ATOMIC_STEP``."""

    ATOMIC_STEP = False

    def atomic_step(self):
        raise AssertionError("the engine opened a unit on a runtime that does not declare ATOMIC_STEP")


@pytest.mark.parametrize("tree_of", [fork_tree, slow_tree])
def test_a_runtime_without_atomic_step_runs_the_same_pipeline(tree_of):
    rt = make_runtime(WithoutUnits)
    tree = tree_of()
    assert api.run_pipeline(rt, tree).result
    rt.run_until_idle()

    assert rt.get_state(tree["id"]).name == states.FINISHED
    assert all(p.dead or p.asleep for p in rt.store.processes.values())
