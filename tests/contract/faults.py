"""A runtime fault every contract backend can trigger: ``set_execution_data`` raising an ordinary error.

A node asks for it with the input :data:`FAULT_INPUT`, naming an output key: while the node has not been
retried (state ``retry == 0``), writing execution data that contains that output raises ``RuntimeError``
— not one of the runtime's interrupt errors, so the engine's failure net handles it. The retried run
writes normally. The check needs no state shared between processes: the wrapper is installed on the
in-memory runtime instance, on ``BambooDjangoRuntime`` in the test process (django-sqlite), and at start
in the contract suite's worker processes (``tests/integration/worker_plugins.py``, django-mariadb).
"""

import functools
from typing import Any, Callable

FAULT_INPUT = "contract_fault_on_output"
FAULT_MESSAGE = "injected set_execution_data fault"


def with_fault(set_execution_data: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap an unbound ``set_execution_data(self, node_id, data)`` with the fault."""

    @functools.wraps(set_execution_data)
    def faulty(self: Any, node_id: str, data: Any) -> Any:
        key = (data.inputs or {}).get(FAULT_INPUT)
        if key and key in (data.outputs or {}) and self.get_state(node_id).retry == 0:
            raise RuntimeError(f"{FAULT_MESSAGE} for node({node_id})")
        return set_execution_data(self, node_id, data)

    faulty.contract_fault = True  # type: ignore[attr-defined]
    return faulty


def install_on_class(cls: type, setattr_: Callable[[Any, str, Any], None] = setattr) -> None:
    """Install the fault on a runtime class (once; ``setattr_`` may be ``monkeypatch.setattr``)."""
    if not getattr(cls.set_execution_data, "contract_fault", False):
        setattr_(cls, "set_execution_data", with_fault(cls.set_execution_data))


def install_on_instance(runtime: Any) -> None:
    """Install the fault on one runtime object only."""
    runtime.set_execution_data = with_fault(type(runtime).set_execution_data).__get__(runtime)
