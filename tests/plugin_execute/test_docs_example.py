"""The example of docs/plugin-execute.md runs as written and prints what the page shows.

It configures Django itself, so it runs in a child interpreter (a process sets Django up only once).
"""

import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PAGE = REPO_ROOT / "docs" / "plugin-execute.md"


def _blocks(language: str):
    return re.findall(rf"^```{language}\n(.*?)^```", PAGE.read_text("utf-8"), re.MULTILINE | re.DOTALL)


def test_example_runs_and_prints_the_documented_output(tmp_path):
    (script,) = _blocks("python")
    documented_output = _blocks("text")[-1]
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert child.returncode == 0, child.stderr
    assert child.stdout == documented_output
