"""Upstream's ``MAKO_RENDER_*`` settings are honoured, or refused loudly when the worker starts.

The project switches on upstream's isolated template rendering (``MAKO_RENDER_BACKEND = "subprocess"``,
a pool of one process). A worker either refuses to start with an error naming the setting, or renders
templates in child processes. Silently rendering in-process would leave a project believing its
templates are isolated when they are not.
"""

from pathlib import Path
from typing import List

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from tests.compat.harness import CompatWorker, execution_data, run, wait_finished

pytestmark = pytest.mark.integration


def children_of(pid: int) -> List[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    return children


def test_mako_render_backend_is_honoured_or_refused_at_start(compat_session):
    worker = CompatWorker(
        compat_session,
        "render",
        "gevent",
        10,
        ["er_execute_render", "er_schedule_render"],
        extra_env={"COMPAT_MAKO_RENDER_BACKEND": "subprocess"},
    )
    try:
        worker.start()
    except RuntimeError:
        assert "MAKO_RENDER_BACKEND" in worker.log_tail(200), worker.log_tail(200)
        return
    try:
        assert children_of(worker.pid) == [], "the worker has child processes before any render"
        start, end = EmptyStartEvent(), EmptyEndEvent()
        act = ServiceActivity(component_code="compat_noop")
        act.component.inputs.sum = Var(type=Var.SPLICE, value="${1 + 1}")
        start.extend(act).extend(end)

        root_id = run(build_tree(start), queue="render")

        wait_finished(root_id, worker)
        assert execution_data(act.id)["inputs"]["sum"] == "2"
        assert children_of(worker.pid), "MAKO_RENDER_BACKEND=subprocess was neither refused nor honoured"
    finally:
        worker.stop()
