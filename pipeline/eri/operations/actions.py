"""Apply an operator action: audit it, run it, say how it went. The one entry point of both front ends.

:func:`perform` never raises: a refused or failed action is an :class:`Outcome` with ``result=False``,
a message naming the target and the problem, and a 4xx ``status``. Who may ask is the front end's
business (:func:`can_perform` is the default rule); what is asked is checked here.
"""

import contextlib
import logging
from typing import Any, Callable, Dict, Iterator, Mapping, Optional

from pipeline.eri.embedded import embedded_worker, is_embedded, wait_until_settled
from pipeline.eri.operations import audit, catalog, engine_calls, repairs
from pipeline.eri.operations.engine_calls import Call
from pipeline.eri.operations.results import CONFLICT, NOT_FOUND, ActionRefused, Outcome

logger = logging.getLogger(__name__)

#: With the in-process broker, seconds an action keeps the in-process worker running for the run to go on.
EMBEDDED_SETTLE_SECONDS = 30.0

HANDLERS: Dict[str, Callable[[Call], Any]] = {
    catalog.TASK_PAUSE: engine_calls.task_pause,
    catalog.TASK_RESUME: engine_calls.task_resume,
    catalog.TASK_REVOKE: engine_calls.task_revoke,
    catalog.NODE_RETRY: engine_calls.node_retry,
    catalog.NODE_SKIP: engine_calls.node_skip,
    catalog.NODE_CALLBACK: engine_calls.node_callback,
    catalog.NODE_SKIP_EXG: engine_calls.node_skip_exg,
    catalog.NODE_SKIP_CPG: engine_calls.node_skip_cpg,
    catalog.NODE_FORCED_FAIL: engine_calls.node_forced_fail,
    catalog.NODE_RELEASE_SCHEDULE_LOCK: repairs.node_release_schedule_lock,
    catalog.PROCESS_REDISPATCH: repairs.process_redispatch,
}


def can_perform(user: Any, action: str) -> bool:
    """The default rule: an active staff user holding the action's permission (superusers hold all)."""
    spec = catalog.BY_NAME.get(action)
    if spec is None or user is None:
        return False
    return bool(user.is_active and user.is_staff and user.has_perm(spec.permission))


def perform(
    action: str,
    target_id: str,
    params: Optional[Mapping[str, Any]] = None,
    operator: str = "",
    source: str = audit.CODE,
) -> Outcome:
    """Apply ``action`` to ``target_id`` with ``params``, recorded as asked by ``operator`` from ``source``.

    Args:
        action: a name of :data:`pipeline.eri.operations.catalog.ACTIONS`.
        target_id: the pipeline, node or process id the action applies to.
        params: the action's parameters (``inputs`` of ``node_retry``, ``flow_id`` of ``node_skip_exg``...).
        operator: who asked (a user name), for the audit row.
        source: ``console``, ``admin`` or ``code``, for the audit row.
    """
    spec = catalog.BY_NAME.get(action)
    if spec is None:
        return Outcome(False, f"unknown action {action!r}", status=NOT_FOUND)
    params = dict(params or {})
    try:
        record = audit.begin(spec, str(target_id), params, operator, source)
    except Exception as err:  # no audit row, no action
        logger.exception("operator action %s on %s: the audit row could not be written", action, target_id)
        message = f"{action} not applied: the audit row could not be written ({err})"
        return Outcome(False, message, status=CONFLICT)
    outcome = _apply(spec, Call(_runtime(), str(target_id), params, operator))
    try:
        audit.finish(record, outcome)
    except Exception:  # the action is done; the row still says who started it
        logger.exception("operator action %s on %s: the outcome could not be recorded", action, target_id)
    return outcome


def _apply(spec: catalog.ActionSpec, call: Call) -> Outcome:
    try:
        with _worker_for(spec):
            data = HANDLERS[spec.name](call)
    except ActionRefused as err:
        return Outcome(False, str(err), status=err.status)
    except Exception as err:  # a failure outside the engine's api (database, broker): still an answer
        logger.exception("operator action %s on %s failed", spec.name, call.target_id)
        message = f"{spec.name} {call.target_id} failed: {type(err).__name__}: {err}"
        return Outcome(False, message, status=CONFLICT)
    return Outcome(True, "success", data)


@contextlib.contextmanager
def _worker_for(spec: catalog.ActionSpec) -> Iterator[None]:
    """With the in-process broker, run a worker here until the run is quiet again (as the commands do)."""
    if not spec.moves or not is_embedded():
        yield
        return
    with embedded_worker():
        yield
        with contextlib.suppress(TimeoutError):
            wait_until_settled(timeout=EMBEDDED_SETTLE_SECONDS)


def _runtime() -> Any:
    from pipeline.eri.runtime import BambooDjangoRuntime

    return BambooDjangoRuntime()
