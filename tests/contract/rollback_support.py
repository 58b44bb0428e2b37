"""Helpers of the rollback contract tests: undo activities, their ledger, and api result checks.

The undo services (``tests.contract.services.UndoService``) write what they do to a ledger file, the one
channel a test can read whatever process ran them.
"""

from typing import Any, Dict, List

from bamboo_engine.builder import ServiceActivity
from tests.contract.harness import Harness
from tests.contract.services import ledger_lines
from tests.contract.trees import plain

ROOT_INPUTS = {"${operator}": "alice"}


class Ledger:
    """The events of the undo activities of one test (a file under the test's ``tmp_path``)."""

    def __init__(self, path: str) -> None:
        self.path = path

    def undo(self, name: str, code: str = "undo_node", **inputs: Any) -> ServiceActivity:
        """An undo activity called ``name`` (its display name and input ``name``) writing to this ledger."""
        act = ServiceActivity(component_code=code, name=name)
        for key, value in {"name": name, "ledger": self.path, **inputs}.items():
            setattr(act.component.inputs, key, plain(value))
        return act

    def events(self) -> List[Dict[str, Any]]:
        return ledger_lines(self.path)

    def rollbacks(self) -> List[str]:
        """Names of the activities rolled back, in order."""
        return [e["name"] for e in self.events() if e["event"] == "rollback"]

    def executions(self) -> List[str]:
        """Names of the activities executed, in order."""
        return [e["name"] for e in self.events() if e["event"] == "execute"]

    def rollback_of(self, name: str) -> List[Dict[str, Any]]:
        return [e for e in self.events() if e["event"] == "rollback" and e["name"] == name]


def ok(result: Any) -> Any:
    assert result.result is True, f"rollback api refused: {result.message} {result.exc!r}"
    return result.data


def refused(harness: Harness, result: Any, text: str) -> None:
    """The call was refused with the api's exception class and ``text`` in its message."""
    assert result.result is False, f"expected a refusal, got {result!r}"
    assert isinstance(result.exc, harness.rollback_refusal), f"{result.exc!r}"
    assert text in str(result.exc), f"{text!r} not in {str(result.exc)!r}"


def node_states(harness: Harness, root_id: str) -> Dict[str, str]:
    """``{node_id: state name}`` of every node of the run (subprocess nodes included)."""
    return {state.node_id: state.name for state in harness.runtime.get_state_by_root(root_id)}
