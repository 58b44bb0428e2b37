"""Running the playground's demo and ``manage.py`` commands in subprocesses on the embedded default.

Each subprocess gets ``playground.settings`` with SQLite at a temporary path (``BAMBOO_SQLITE_PATH``) and
no ``BAMBOO_DB``/``BAMBOO_BROKER``: the default a newcomer gets. Subprocesses, because Django can be
configured only once per process and the test process may already use other settings.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
#: Generous: a subprocess needs a few seconds; this only stops a hung one.
SUBPROCESS_TIMEOUT = 180


def embedded_env(sqlite_path: Path) -> Dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("BAMBOO_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE="playground.settings", BAMBOO_SQLITE_PATH=str(sqlite_path))
    return env


def run_python(sqlite_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python *args`` at the repository root on the embedded default."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        env=embedded_env(sqlite_path),
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
    )


def manage(sqlite_path: Path, *args: str) -> subprocess.CompletedProcess:
    """``python manage.py *args`` on the embedded default."""
    return run_python(sqlite_path, "manage.py", *args)


def run_in_one_process(sqlite_path: Path, commands: List[List[str]]) -> List[Tuple[bool, str]]:
    """Run several commands with ``call_command`` in one subprocess (one Django start-up for all).

    Returns:
        ``(True, stdout)`` or ``(False, CommandError message)`` per command.
    """
    result = run_python(sqlite_path, "-m", "tests.demo.command_driver", json.dumps(commands))
    assert result.returncode == 0, result.stderr
    return [tuple(item) for item in json.loads(result.stdout.strip().splitlines()[-1])]


def tables(output: str, first_header: str) -> List[List[Dict[str, str]]]:
    """Every table of ``output`` whose header starts with ``first_header``, as rows of ``{column: cell}``.

    Cells are cut at the header's column offsets, so a misaligned table yields garbled cells.
    """
    lines = output.splitlines()
    found = []
    for index, line in enumerate(lines):
        if not line.startswith(first_header + " ") or not lines[index + 1].startswith("-"):
            continue
        columns = [(match.group(), match.start()) for match in re.finditer(r"\S+", line)]
        rows = []
        for row in lines[index + 2 :]:
            if not row.strip() or row.startswith(("pipeline", "outputs:", "->", "==")):
                break
            ends = [start for _, start in columns[1:]] + [None]
            cells = {name: row[start:end].strip() for (name, start), end in zip(columns, ends, strict=True)}
            rows.append(cells)
        found.append(rows)
    return found


def by_node(rows: List[Dict[str, str]]) -> Dict[str, Dict[str, str]]:
    """Rows of a state table keyed by node name (indentation stripped)."""
    return {row["NODE"]: row for row in rows}
