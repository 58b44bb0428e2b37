"""Run the ``python`` blocks of a documentation page, in order, in one fresh interpreter.

The blocks of a page build on each other (a reader pastes them one after the other), so they share one
namespace. They run in a subprocess where Django, Celery and kombu cannot be imported: the pages checked
this way describe the pure engine and must work without a database or a broker.
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Tuple

from tests.docs.markdown import REPO_ROOT, code_blocks

PASSED = "=== ALL BLOCKS PASSED"
FAILED = "=== FAILED "

# Runs in the child interpreter: argv[1] is the page name, argv[2] a JSON file of [line, source] pairs.
_RUNNER = r"""
import json, sys, traceback
for blocked in ("django", "celery", "kombu"):
    sys.modules[blocked] = None  # importing them now raises ImportError
page = sys.argv[1]
blocks = json.load(open(sys.argv[2], encoding="utf-8"))
namespace = {"__name__": "__docs__"}
for number, (line, source) in enumerate(blocks, start=1):
    print(f"--- {page} block {number} (line {line})", flush=True)
    try:
        exec(compile(source, f"<{page} block {number}>", "exec"), namespace)
    except BaseException:
        traceback.print_exc(file=sys.stdout)
        print(f"=== FAILED {page} block {number} (line {line})", flush=True)
        sys.exit(1)
print("=== ALL BLOCKS PASSED", flush=True)
"""


def python_blocks(page: Path) -> List[Tuple[int, str]]:
    return code_blocks(page.read_text(encoding="utf-8"), "python")


def run_page(page: Path, workdir: Path) -> Tuple[bool, str]:
    """Run every python block of ``page``; return (passed, report naming the failing block)."""
    blocks_file = workdir / f"{page.stem}.blocks.json"
    blocks_file.write_text(json.dumps(python_blocks(page)), encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, "-c", _RUNNER, page.name, str(blocks_file)],
        cwd=workdir,  # not the repository root: nothing may depend on the current directory
        capture_output=True,
        text=True,
        timeout=240,
        env=_child_env(),
    )
    if completed.returncode == 0 and PASSED in completed.stdout:
        return True, ""
    failed = [line for line in completed.stdout.splitlines() if line.startswith(FAILED)]
    where = failed[-1][len(FAILED) :] if failed else f"{page.name}: exit code {completed.returncode}"
    report = f"{where}\n--- stdout ---\n{completed.stdout}\n--- stderr ---\n{completed.stderr}"
    return False, report


def _child_env() -> dict:
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    # The project is installed editable; keep the checkout importable even if it is not.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH", "")]))
    return env
