"""Message fencing on every runtime: with ``FENCE_EMIT_ENABLED`` and ``FENCE_ENFORCE`` on, ordinary runs
(forks, subprocesses, polls, callbacks, retries, pause and resume) lose no message.

The settings are engine settings of this process: worker-backed harnesses (``django-mariadb``,
``django-postgres``) run their messages unfenced, and still have to finish. ``tests/unit/test_fence.py``
shows what a fence drops.
"""

import pytest

from bamboo_engine import api, fence
from bamboo_engine.builder import (
    ConvergeGateway,
    EmptyEndEvent,
    EmptyStartEvent,
    ParallelGateway,
    RetryPolicy,
)
from bamboo_engine.config import Settings
from bamboo_engine.metrics import ENGINE_FENCE_DROP, labelled
from tests.contract.django_harness import DjangoServerHarness
from tests.contract.harness import assert_ok
from tests.contract.trees import activity, build_tree, linear_tree, subprocess

pytestmark = pytest.mark.contract

REASONS = ("process_moved", "version_mismatch", "schedule_times_mismatch")


@pytest.fixture(autouse=True)
def checked(monkeypatch):
    """Fences on; counts the fences this process checked."""
    monkeypatch.setattr(Settings, "FENCE_EMIT_ENABLED", True)
    monkeypatch.setattr(Settings, "FENCE_ENFORCE", True)
    counts = {"execute": 0, "schedule": 0}
    claim_execute, claim_schedule = fence.claim_execute, fence.claim_schedule

    def counting_execute(*args):
        counts["execute"] += 1
        return claim_execute(*args)

    def counting_schedule(*args):
        counts["schedule"] += 1
        return claim_schedule(*args)

    monkeypatch.setattr(fence, "claim_execute", counting_execute)
    monkeypatch.setattr(fence, "claim_schedule", counting_schedule)
    return counts


def _consumed_here(harness):
    return not isinstance(harness, DjangoServerHarness)


def _dropped():
    return sum(
        labelled(ENGINE_FENCE_DROP, kind=kind, reason=reason, enforced="True")._value.get()
        for kind in ("execute", "schedule")
        for reason in REASONS
    )


def test_forks_subprocesses_polls_and_callbacks_finish(harness, checked):
    before = _dropped()
    start, gateway, converge = EmptyStartEvent(), ParallelGateway(), ConvergeGateway()
    waiting = activity("callback_node")
    child = subprocess(activity("copy_node", x=1), activity("poll_node", polls=2))
    start.extend(gateway).connect(activity("poll_node", polls=2), child, waiting).converge(converge).extend(
        EmptyEndEvent()
    )
    tree = build_tree(start)
    assert_ok(harness.run(tree))
    harness.callback(waiting.id, {"answer": 42})
    harness.run_until_idle()
    assert harness.wait_for_state(tree["id"], "FINISHED")
    assert harness.outputs(waiting.id)["answer"] == 42
    assert _dropped() == before
    if _consumed_here(harness):
        assert checked["execute"] > 0 and checked["schedule"] > 0


def test_retry_and_pause_resume_finish(harness, checked):
    before = _dropped()
    start = EmptyStartEvent()
    failing, polling = activity("fail_node"), activity("poll_node", polls=3)
    start.extend(failing).extend(polling).extend(EmptyEndEvent())
    tree = build_tree(start)
    assert_ok(harness.run(tree))
    harness.wait_for_state(failing.id, "FAILED")
    assert_ok(api.skip_node(harness.runtime, failing.id))
    harness.wait_for_state(polling.id, "RUNNING")
    assert_ok(api.pause_pipeline(harness.runtime, tree["id"]))
    harness.run_until_idle()
    assert_ok(api.resume_pipeline(harness.runtime, tree["id"]))
    harness.run_until_idle()
    assert harness.wait_for_state(tree["id"], "FINISHED")
    assert _dropped() == before
    if _consumed_here(harness):
        assert checked["execute"] > 0


def test_an_automatic_retry_runs_under_its_fence(harness, checked):
    """The delayed execute of a retry_policy carries the fence of the version it retries from."""
    before = _dropped()
    flaky = activity("flaky_node", succeed_at=2)
    flaky.retry_policy = RetryPolicy(max_attempts=2, interval_seconds=1)
    root_id = harness.start(linear_tree(flaky, activity("empty_node")))
    assert harness.wait_for_state(root_id, "FINISHED")
    assert harness.state(flaky.id).retry == 1
    assert _dropped() == before
    if _consumed_here(harness):
        assert checked["execute"] > 0
