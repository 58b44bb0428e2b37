"""The shipped code calls the ERI methods whose positional order differs between runtimes with keywords.

``set_state`` is published as ``(node_id, to_state, loop, inner_loop, version, ...)`` by the ERI and as
``(node_id, to_state, version, loop, inner_loop, ...)`` by ``BambooDjangoRuntime`` (upstream's order);
``set_next_schedule`` puts ``callback_data_id`` and ``headers`` in opposite orders. Both signatures are
pinned (tests/data/surface.json), so a positional argument past the shared ones would mean something
different on each runtime. Read from the source (AST) of every shipped module.
"""

import ast
from typing import Dict, List

import pytest

from tests.unit.import_graph import REPO_ROOT, SHIPPED

#: Method name -> how many leading positional arguments mean the same on every runtime.
SHARED_POSITIONS: Dict[str, int] = {"set_state": 2, "set_next_schedule": 4}


def positional_misuses(source: str, filename: str) -> List[str]:
    """``file:line method`` of each call of a method of :data:`SHARED_POSITIONS` with too many
    positional arguments (a ``*args`` counts as too many)."""
    found = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        limit = SHARED_POSITIONS.get(node.func.attr)
        if limit is None:
            continue
        # ``SomeClass.set_state(self, ...)`` passes the instance first.
        if isinstance(node.func.value, ast.Name) and node.func.value.id[:1].isupper():
            limit += 1
        starred = any(isinstance(arg, ast.Starred) for arg in node.args)
        if starred or len(node.args) > limit:
            found.append(f"{filename}:{node.lineno} {node.func.attr}")
    return found


def test_shipped_code_passes_keywords_past_the_shared_positions():
    files = [path for package in SHIPPED for path in sorted((REPO_ROOT / package).rglob("*.py"))]
    assert len(files) > 100  # guard against a vacuous pass
    misuses = [m for path in files for m in positional_misuses(path.read_text(encoding="utf-8"), str(path))]
    assert misuses == []


@pytest.mark.parametrize(
    "call,bad",
    [
        ("runtime.set_state(node_id, states.RUNNING)", False),
        ("runtime.set_state(node_id, states.RUNNING, version=v, loop=2)", False),
        ("runtime.set_state(node_id, states.RUNNING, v)", True),
        ("runtime.set_state(*arguments)", True),
        ("StateRules.set_state(self, node_id, states.RUNNING, loop=1)", False),
        ("runtime.set_next_schedule(pid, node, sid, 5, callback_data_id=1)", False),
        ("runtime.set_next_schedule(pid, node, sid, 5, None, headers)", True),
    ],
)
def test_the_check_tells_keywords_from_positions(call, bad):
    assert bool(positional_misuses(call, "example.py")) is bad
