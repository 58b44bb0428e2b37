"""Start the chaos workload inside the virtualenv of the implementation under test.

Run as a script (``<venv>/bin/python benchmark/chaos_driver.py COPIES``) with the target's environment
(``benchmark/chaos_targets.py``). Builds ``COPIES`` copies of the 17-node reference pipeline
(``normal_pipeline`` of ``tests/trees.py``, activities ``chaos_node``) with that implementation's builder,
starts them back to back with ``bamboo_engine.api.run_pipeline``, and prints one line:
``chaos-started {"roots": [...], "first_start": <epoch>, "all_started": <epoch>}``.
"""

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any, List, Optional

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Prefix of the result line (upstream prints its own lines to stdout while Django starts).
MARKER = "chaos-started "


def tree_factories() -> Any:
    """``tests/trees.py`` loaded by path: its ``bamboo_engine.builder`` is this venv's (ours or upstream)."""
    spec = importlib.util.spec_from_file_location("chaos_trees", REPO_ROOT / "tests" / "trees.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start_all(copies: int) -> dict:
    from bamboo_engine import api
    from pipeline.eri.runtime import BambooDjangoRuntime

    factories = tree_factories()
    trees = [factories.normal_pipeline(component_code="chaos_node") for _ in range(copies)]
    runtime = BambooDjangoRuntime()
    roots: List[str] = []
    first_start = time.time()
    for tree in trees:
        result = api.run_pipeline(runtime=runtime, pipeline=tree, root_pipeline_data={})
        if not result.result:
            raise RuntimeError(f"run_pipeline({tree['id']}) failed: {result.message}\n{result.exc_trace}")
        roots.append(tree["id"])
    return {"roots": roots, "first_start": first_start, "all_started": time.time()}


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("copies", type=int)
    args = parser.parse_args(argv)

    import django

    django.setup()
    import chaos_probe.probes  # noqa: F401 - chaos_node, and the duplicate fault when asked for

    print(MARKER + json.dumps(start_all(args.copies)), flush=True)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
