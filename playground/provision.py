"""The rollback example (``python -m playground.provision``): provision a machine, fail, roll back, go on.

The pipeline ``create VM → attach disk → install app`` keeps its resources in an inventory file
(``playground/components/collections/provision.py``). Installing fails on the first attempt; the script
then rolls the pipeline back from ``install app`` to ``create VM`` in TOKEN mode
(``pipeline.contrib.rollback.api.rollback``): the disk is detached and the VM deleted (each step's own
``rollback()``, latest first), and the pipeline runs again from ``create VM`` and finishes. It prints the
node states and the inventory at each stage; the exit code is 0 only when everything happened in that
order.

Rollback is switched on for this process (``BAMBOO_ENABLE_ROLLBACK=1``). With the default settings the
pipeline runs on the in-process worker; with a real broker, start workers with ``BAMBOO_ENABLE_ROLLBACK=1``
consuming ``er_execute``, ``er_schedule`` and ``rollback`` (docs/rollback.md).
"""

import argparse
import json
import os
import sys
import tempfile
from typing import Dict, List, Optional, Tuple

from bamboo_engine.builder import Data, EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree

#: The inventory's log once the example went as it should.
EXPECTED_LOG = [
    "created vm:web-1",
    "attached disk:web-1",
    "install failed: package mirror timed out",
    "detached disk:web-1",
    "deleted vm:web-1",
    "created vm:web-1",
    "attached disk:web-1",
    "installed app:web-1",
]
EXPECTED_RESOURCES = ["vm:web-1", "disk:web-1", "app:web-1"]


def provision_tree(inventory: str, machine: str = "web-1") -> Tuple[dict, Dict[str, str]]:
    """``start → create VM → attach disk → install app → end`` and the ids of the three steps."""
    start, end = EmptyStartEvent(name="start"), EmptyEndEvent(name="end")
    steps = {}
    for key, code, name in (
        ("vm", "provision_create_vm", "create VM"),
        ("disk", "provision_attach_disk", "attach disk"),
        ("app", "provision_install_app", "install app"),
    ):
        step = ServiceActivity(component_code=code, name=name)
        step.component.inputs.inventory = Var(type=Var.SPLICE, value="${inventory}")
        step.component.inputs.name = Var(type=Var.SPLICE, value="${machine}")
        steps[key] = step
    start.extend(steps["vm"]).extend(steps["disk"]).extend(steps["app"]).extend(end)
    data = Data()
    data.inputs["${inventory}"] = Var(type=Var.PLAIN, value=inventory)
    data.inputs["${machine}"] = Var(type=Var.PLAIN, value=machine)
    return build_tree(start, data=data), {key: step.id for key, step in steps.items()}


def _show_inventory(path: str) -> Dict[str, list]:
    from playground.components.collections.provision import read_inventory

    inventory = read_inventory(path)
    print(f"inventory {path}: {json.dumps(inventory['resources'])}")
    return inventory


def _roll_back(runtime, root_id: str, ids: Dict[str, str]) -> List[str]:
    """Roll back from the failed install to the VM; what went wrong, if anything."""
    from pipeline.contrib.rollback import api as rollback_api

    allowed = rollback_api.get_allowed_rollback_node_id_list(root_id, ids["app"])
    names = {node_id: key for key, node_id in ids.items()}
    print(f"-> nodes the install can roll back to: {[names.get(n, n) for n in allowed.data or []]}")
    print("-> rollback(install app -> create VM), TOKEN mode")
    result = rollback_api.rollback(root_id, ids["app"], ids["vm"])
    return [] if result.result else [f"rollback refused: {result.exc}"]


def run_provision(runtime, inventory: str, queue: str) -> List[str]:
    """Run the example; returns what went wrong, if anything."""
    from bamboo_engine import api
    from playground.demo import _root_settled, _show, _state_name, _wait

    tree, ids = provision_tree(inventory)
    root_id = tree["id"]
    print("== provision: create VM -> attach disk -> install app")
    started = api.run_pipeline(runtime, tree, **({"queue": queue} if queue else {}))
    if not started.result:
        return [f"run_pipeline failed: {started.exc}"]
    _wait(lambda: _state_name(runtime, ids["app"]) == "FAILED", "install app failing")
    _show(runtime, "the install failed:", root_id)
    _show_inventory(inventory)
    problems = _roll_back(runtime, root_id, ids)
    if problems:
        return problems
    _wait(_root_settled(runtime, root_id), "the pipeline going on after the rollback")
    _show(runtime, "rolled back and run again:", root_id)
    final = _show_inventory(inventory)
    print("inventory log:\n  " + "\n  ".join(final["log"]))
    problems = []
    if _state_name(runtime, root_id) != "FINISHED":
        problems.append(f"pipeline {root_id} is {_state_name(runtime, root_id)}, not FINISHED")
    if final["resources"] != EXPECTED_RESOURCES or final["log"] != EXPECTED_LOG:
        problems.append(
            "the inventory is not as expected (are workers running with BAMBOO_ENABLE_ROLLBACK=1?)"
        )
    return problems


def _parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m playground.provision", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--inventory", help="the inventory file (default: a new temporary file)")
    parser.add_argument("--queue", default="", help="run the pipeline on this queue (run_pipeline's queue)")
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Run the example; 0 when it went as expected, 1 otherwise."""
    args = _parse_args(argv)
    inventory = args.inventory or os.path.join(tempfile.mkdtemp(prefix="provision-"), "inventory.json")
    os.environ.setdefault("BAMBOO_ENABLE_ROLLBACK", "1")
    from playground.demo import _setup_django

    _setup_django()
    from pipeline.management.control import get_runtime, worker_scope

    try:
        with worker_scope():
            problems = run_provision(get_runtime(), inventory, args.queue)
    except TimeoutError as err:
        problems = [str(err)]
    if problems:
        print("provision FAILED:\n  " + "\n  ".join(problems))
        return 1
    print("provision OK: rolled back and finished")
    return 0


if __name__ == "__main__":
    sys.exit(main())
