"""The benchmark scenarios (reference workloads: trees of ``debug_node`` activities) as plain data.

Standard library only: the driver imports this module inside either virtualenv (ours or upstream's).
A scenario names a tree factory of ``tests/trees.py`` and how many copies of the tree start together.
"""

from dataclasses import dataclass, field
from typing import Dict, Tuple

RUN = "run"
PREPARE = "prepare"

# Nodes of the Scenario A tree that run: 14 top-level + 4 subprocess elements, minus act_7 (the exclusive
# gateway never takes its branch).
NORMAL_PIPELINE_RUN_NODES = 17


@dataclass(frozen=True)
class Scenario:
    """One workload.

    Attributes:
        name: the ``--scenario`` value.
        factory: function name in ``tests/trees.py``.
        factory_kwargs: its keyword arguments (``component_code`` is always ``debug_node``).
        copies: trees started back to back (each a separate root pipeline).
        nodes_per_copy: flow nodes of one tree that execute (events, gateways, activities, subprocesses);
            the progress bar's unit.
        kind: ``run`` (workers execute it to the end) or ``prepare`` (only ``run_pipeline`` is timed, no
            workers run, the start message is purged afterwards).
        description: one line for ``--list`` and the README.
    """

    name: str
    factory: str
    factory_kwargs: Dict[str, int] = field(default_factory=dict)
    copies: int = 1
    nodes_per_copy: int = 0
    kind: str = RUN
    description: str = ""

    @property
    def total_nodes(self) -> int:
        return self.copies * self.nodes_per_copy


def _parallel(branches: int, length: int) -> Tuple[str, Dict[str, int], int]:
    # start, parallel gateway, the activities, converge gateway, end
    return "parallel_pipeline", {"branch_nums": branches, "branch_length": length}, branches * length + 4


def _serial(length: int) -> Tuple[str, Dict[str, int], int]:
    # start, the activities, end
    return "linear_pipeline", {"node_count": length}, length + 2


def _scenario(name: str, shape: Tuple[str, Dict[str, int], int], description: str, **extra) -> Scenario:
    factory, kwargs, nodes = shape
    return Scenario(name, factory, kwargs, nodes_per_copy=nodes, description=description, **extra)


SCENARIOS: Dict[str, Scenario] = {
    scenario.name: scenario
    for scenario in (
        Scenario(
            "17x100",
            "normal_pipeline",
            copies=100,
            nodes_per_copy=NORMAL_PIPELINE_RUN_NODES,
            description="100 copies of the 17-node reference pipeline (Scenario A) started at once",
        ),
        _scenario("parallel100x10", _parallel(100, 10), "1000-node pipeline: 100 branches x 10 debug_node"),
        _scenario("serial100", _serial(100), "100 debug_node activities in a row"),
        _scenario(
            "short10000",
            _serial(1),
            "10,000 short pipelines (start -> one debug_node -> end) started back to back",
            copies=10_000,
        ),
        _scenario("short2000", _serial(1), "2,000 of the short10000 pipelines", copies=2_000),
        _scenario("serial1000", _serial(1000), "1000 debug_node activities in a row"),
        _scenario("parallel100x100", _parallel(100, 100), "10,000-node pipeline: 100 branches x 100"),
        _scenario(
            "prepare1000", _parallel(100, 10), "run_pipeline (validate + persist), 1000 nodes", kind=PREPARE
        ),
        _scenario(
            "prepare10000",
            _parallel(100, 100),
            "run_pipeline (validate + persist), 10,000 nodes",
            kind=PREPARE,
        ),
        Scenario(
            "17x2",
            "normal_pipeline",
            copies=2,
            nodes_per_copy=NORMAL_PIPELINE_RUN_NODES,
            description="2 copies of the 17-node pipeline (the --smoke workload)",
        ),
    )
}

# What ``--scenario all`` runs, in this order (cheap first, so a broken setup fails fast).
DEFAULT_ORDER = (
    "prepare1000",
    "prepare10000",
    "serial100",
    "17x100",
    "parallel100x10",
    "serial1000",
    "parallel100x100",
)
