"""Re-sending the message a stuck process waits for, through the runtime's own ``execute``/``schedule``.

Each re-dispatch is a new message with a new delivery token, so it is claimed and run like any other.
What keeps a needless one harmless is the engine's own checks on the rows it finds: a schedule message
for a schedule that is finished or expired, or whose node moved to another version or state, is dropped
(and expires the schedule); an execute message carrying a recover point with ``running_node_version``
continues that node run only if the node is still RUNNING at that version, and otherwise just parks the
process.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Optional

from bamboo_engine.eri.models.interrupt import ExecuteInterruptPoint

EXECUTE = "execute"
SCHEDULE = "schedule"


@dataclass(frozen=True)
class Plan:
    """One message to send: ``kind`` is ``"execute"`` or ``"schedule"``."""

    kind: str
    process_id: int
    node_id: str
    root_pipeline_id: str
    parent_pipeline_id: str = ""
    schedule_id: Optional[int] = None
    callback_data_id: Optional[int] = None
    recover_point: Optional[ExecuteInterruptPoint] = field(default=None, compare=False)

    def describe(self) -> Dict[str, Any]:
        """The plan as JSON-ready data for the audit record."""
        described: Dict[str, Any] = {
            "kind": self.kind,
            "process_id": self.process_id,
            "node_id": self.node_id,
        }
        if self.kind == SCHEDULE:
            described.update(schedule_id=self.schedule_id, callback_data_id=self.callback_data_id)
        else:
            described["parent_pipeline_id"] = self.parent_pipeline_id
            if self.recover_point is not None:
                described["recover_point"] = self.recover_point.name
        return described


def send(runtime: Any, plan: Plan) -> None:
    """Send the plan's message (after the surrounding transaction commits)."""
    if plan.kind == SCHEDULE:
        runtime.schedule(
            process_id=plan.process_id,
            node_id=plan.node_id,
            schedule_id=plan.schedule_id,
            callback_data_id=plan.callback_data_id,
        )
        return
    runtime.execute(
        process_id=plan.process_id,
        node_id=plan.node_id,
        root_pipeline_id=plan.root_pipeline_id,
        parent_pipeline_id=plan.parent_pipeline_id,
        recover_point=plan.recover_point,
    )
