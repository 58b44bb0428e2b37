"""What an operator action answers, and the errors that refuse one.

Every action ends as an :class:`Outcome`. Its ``status`` is the HTTP status a web front end answers with:
a refused action is a client-side problem (4xx) with a message that says why, never a server error.
"""

from dataclasses import dataclass
from typing import Any, Dict

from bamboo_engine.api import EngineAPIResult
from bamboo_engine.exceptions import EngineException, NotFoundError
from bamboo_engine.exceptions import ValueError as EngineValueError

OK = 200
BAD_REQUEST = 400
FORBIDDEN = 403
NOT_FOUND = 404
CONFLICT = 409


@dataclass(frozen=True)
class Outcome:
    """The result of one action: ``result`` tells success, ``message`` what happened, ``data`` any value."""

    result: bool
    message: str
    data: Any = None
    status: int = OK

    def as_json(self) -> Dict[str, Any]:
        """The engine_admin API's answer: ``{"result", "message", "data"}``."""
        return {"result": self.result, "message": self.message, "data": self.data}


class ActionRefused(Exception):
    """The action cannot be applied to the target as it is now (wrong state, nothing to do)."""

    status = CONFLICT


class InvalidParams(ActionRefused):
    """The request itself is wrong: a missing or mistyped parameter."""

    status = BAD_REQUEST


class TargetNotFound(ActionRefused):
    """No pipeline, node or process has the target id."""

    status = NOT_FOUND


def checked(result: EngineAPIResult) -> Any:
    """The data of a successful ``bamboo_engine.api`` call; a refusal raises the matching error.

    Raises:
        TargetNotFound: the engine found no such node or pipeline.
        InvalidParams: the engine rejected a value of the request.
        ActionRefused: anything else the engine refused or failed at.
    """
    if result.result:
        return result.data
    exc = result.exc
    if exc is None:
        raise ActionRefused(result.message)
    if isinstance(exc, NotFoundError):
        raise TargetNotFound(str(exc))
    if isinstance(exc, EngineValueError):
        raise InvalidParams(str(exc))
    if isinstance(exc, EngineException) and str(exc):
        raise ActionRefused(str(exc))
    # Not a refusal by the engine's rules (a database error, a bug in a hook): name the error's type.
    raise ActionRefused(f"{type(exc).__name__}: {exc}")
