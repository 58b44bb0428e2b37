"""The operator actions: names, what they apply to, and the permission each one needs.

Pure data, imported by ``pipeline.eri.models`` (the permissions live on the ``OperatorAction`` audit
model) and by both front ends. The first nine are the actions of upstream's engine_admin API, under the
same names; the last two exist only here.
"""

from dataclasses import dataclass
from typing import Dict, List, Tuple

#: What an action's target id names.
PIPELINE = "pipeline"
NODE = "node"
PROCESS = "process"

#: The app label the permissions belong to (``eri.<action name>``).
APP_LABEL = "eri"


@dataclass(frozen=True)
class ActionSpec:
    """One operator action.

    Attributes:
        name: the action's name (also its URL segment in the engine_admin API and its permission codename).
        label: the button text.
        target: :data:`PIPELINE`, :data:`NODE` or :data:`PROCESS`.
        permission_name: the human-readable name of its permission.
        moves: the action sends a message that makes the run go on (with the in-process broker of
            ``pipeline.eri.embedded``, a worker must run in this process for it to be consumed).
    """

    name: str
    label: str
    target: str
    permission_name: str
    moves: bool = True

    @property
    def permission(self) -> str:
        """The permission ``user.has_perm`` checks: ``eri.<name>``."""
        return f"{APP_LABEL}.{self.name}"


TASK_PAUSE = "task_pause"
TASK_RESUME = "task_resume"
TASK_REVOKE = "task_revoke"
NODE_RETRY = "node_retry"
NODE_SKIP = "node_skip"
NODE_CALLBACK = "node_callback"
NODE_SKIP_EXG = "node_skip_exg"
NODE_SKIP_CPG = "node_skip_cpg"
NODE_FORCED_FAIL = "node_forced_fail"
NODE_RELEASE_SCHEDULE_LOCK = "node_release_schedule_lock"
PROCESS_REDISPATCH = "process_redispatch"

ACTIONS: Tuple[ActionSpec, ...] = (
    ActionSpec(TASK_PAUSE, "Pause", PIPELINE, "Can pause a pipeline", moves=False),
    ActionSpec(TASK_RESUME, "Resume", PIPELINE, "Can resume a paused pipeline"),
    ActionSpec(TASK_REVOKE, "Revoke", PIPELINE, "Can revoke a pipeline", moves=False),
    ActionSpec(NODE_RETRY, "Retry", NODE, "Can retry a failed node (with new inputs)"),
    ActionSpec(NODE_SKIP, "Skip", NODE, "Can skip a failed node"),
    ActionSpec(NODE_CALLBACK, "Callback", NODE, "Can send a callback to a waiting node"),
    ActionSpec(NODE_SKIP_EXG, "Skip gateway", NODE, "Can skip a failed exclusive gateway"),
    ActionSpec(NODE_SKIP_CPG, "Skip gateway", NODE, "Can skip a failed conditional parallel gateway"),
    ActionSpec(NODE_FORCED_FAIL, "Force fail", NODE, "Can force a running node to fail", moves=False),
    ActionSpec(
        NODE_RELEASE_SCHEDULE_LOCK,
        "Release schedule lock",
        NODE,
        "Can release a node's schedule lock",
        moves=False,
    ),
    ActionSpec(PROCESS_REDISPATCH, "Re-dispatch", PROCESS, "Can re-dispatch a stuck process"),
)

BY_NAME: Dict[str, ActionSpec] = {spec.name: spec for spec in ACTIONS}

#: The actions of the engine_admin JSON API (``api/v1/bamboo_engine/<name>/<id>/``).
ENGINE_ADMIN_ACTIONS: Tuple[str, ...] = (
    TASK_PAUSE,
    TASK_RESUME,
    TASK_REVOKE,
    NODE_RETRY,
    NODE_SKIP,
    NODE_CALLBACK,
    NODE_SKIP_EXG,
    NODE_SKIP_CPG,
    NODE_FORCED_FAIL,
)


def model_permissions() -> List[Tuple[str, str]]:
    """``Meta.permissions`` of the audit model: one ``(codename, name)`` per action."""
    return [(spec.name, spec.permission_name) for spec in ACTIONS]
