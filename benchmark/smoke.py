"""``python -m benchmark --smoke``: the smallest scenario on the in-memory runtime (no database, no broker).

It proves the workload definitions still build and run to the end (tox's ``benchmark`` env), and prints
the same result line as a real run, with ``impl=ours-inmemory``: no database (``db_queries_per_node=na``),
``broker_msgs_per_node`` counts the runtime's dispatched tasks, ``peak_rss_mb`` is this process's.
"""

import resource
import sys
import time
from pathlib import Path
from typing import List

from benchmark.scenarios import SCENARIOS, Scenario

SMOKE_SCENARIO = "17x2"


def debug_service_class():
    """``debug_node`` (execute, then one 0 s POLL), as a pure plugin ``Service`` (no Django needed)."""
    from bamboo_engine.plugin import Service, StaticIntervalGenerator

    class DebugService(Service):
        __need_schedule__ = True
        interval = StaticIntervalGenerator(0)

        def execute(self, data, parent_data):
            for key, value in data.inputs.items():
                data.set_outputs(key, value)
            return True

        def schedule(self, data, parent_data, callback_data=None):
            self.finish_schedule()
            return True

        def outputs_format(self):
            return []

    return DebugService


def build_trees(scenario: Scenario) -> List[dict]:
    repo_root = str(Path(__file__).resolve().parent.parent)
    if repo_root not in sys.path:
        sys.path.insert(0, repo_root)
    from tests import trees

    factory = getattr(trees, scenario.factory)
    return [factory(component_code="debug_node", **scenario.factory_kwargs) for _ in range(scenario.copies)]


def run_smoke(scenario_name: str = SMOKE_SCENARIO) -> str:
    """Run the scenario to the end; the result line. Raises if a pipeline does not finish."""
    from bamboo_engine import api
    from bamboo_engine.testing.runtime import InMemoryRuntime
    from benchmark.cli import result_line

    scenario = SCENARIOS[scenario_name]
    trees = build_trees(scenario)
    with InMemoryRuntime() as runtime:
        runtime.register_service("debug_node", debug_service_class())
        started = time.perf_counter()
        for tree in trees:
            result = api.run_pipeline(runtime=runtime, pipeline=tree, root_pipeline_data={})
            if not result.result:
                raise RuntimeError(f"run_pipeline failed: {result.message}\n{result.exc_trace}")
        runtime.run_until_idle(timeout=60)
        wall_s = time.perf_counter() - started
        nodes = 0
        for tree in trees:
            states = runtime.states(tree["id"])
            if states.get(tree["id"]) != "FINISHED":
                raise RuntimeError(f"smoke: pipeline {tree['id']} ended {states.get(tree['id'])}: {states}")
            nodes += len(states) - 1
        figures = {
            "wall_s": wall_s,
            "nodes": nodes,
            "db_queries": None,
            "broker_msgs": len(runtime.task_log),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        }
    return result_line(scenario.name, "ours-inmemory", "na", 0, 0, figures)
