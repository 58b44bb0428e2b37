"""The logs of a node stay readable after ``forced_fail_activity`` gave its state a new version."""

import logging

import pytest

from bamboo_engine import api
from bamboo_engine.plugin import Service
from pipeline.eri.log import LOGGER_NAME, ERINodeLogHandler
from pipeline.eri.models import LogEntry
from tests.contract import trees


class _LoggingWaiter(Service):
    """Logs from ``execute``, then waits for a callback that never comes."""

    __need_schedule__ = True

    def execute(self, data, parent_data):
        self.logger.info("asked the remote job to start")
        self.logger.warning("the remote job is slow")
        return True

    def schedule(self, data, parent_data, callback_data=None):
        return True


@pytest.fixture
def node_log_handler():
    logger = logging.getLogger(LOGGER_NAME)
    handler, level = ERINodeLogHandler(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_forced_failed_node_keeps_its_log(harness, node_log_handler):
    harness.register_service("logging_waiter", _LoggingWaiter)
    act = trees.activity("logging_waiter")
    harness.start(trees.linear_tree(act))
    harness.wait_callback_ready(act.id)
    running_version = harness.state(act.id).version

    assert api.forced_fail_activity(harness.runtime, act.id, "operator gave up").result

    failed = harness.state(act.id)
    assert (failed.name, failed.version != running_version) == ("FAILED", True)
    expected = "asked the remote job to start\nthe remote job is slow"
    assert harness.runtime.get_plain_log_for_node(act.id) == expected
    assert harness.runtime.get_plain_log_for_node(act.id, version=failed.version) == expected
    assert not LogEntry.objects.filter(node_id=act.id, version=running_version).exists()


def test_forced_fail_moves_only_the_log_of_the_failed_run(harness, node_log_handler):
    harness.register_service("logging_waiter", _LoggingWaiter)
    act = trees.activity("logging_waiter")
    harness.start(trees.linear_tree(act))
    harness.wait_callback_ready(act.id)
    LogEntry.objects.create(
        node_id=act.id, version="an-earlier-run", logger_name="x", level_name="INFO", message="old"
    )

    assert api.forced_fail_activity(harness.runtime, act.id, "operator gave up").result

    assert harness.runtime.get_plain_log_for_node(act.id, version="an-earlier-run") == "old"
