"""Helpers shared by the contrib apps' public api functions."""

import functools
import logging
import traceback
from typing import Any, Callable

from bamboo_engine.api import EngineAPIResult

logger = logging.getLogger(__name__)


class PipelineContribAPIResult(EngineAPIResult):
    """Outcome of a contrib api call; same fields and meaning as :class:`EngineAPIResult`."""

    def __repr__(self) -> str:
        return (
            f"PipelineContribAPIResult(result={self.result!r}, message={self.message!r}, exc={self.exc!r}, "
            f"data={self.data!r}, exc_trace={self.exc_trace!r})"
        )


def _as_contrib_result(value: Any) -> PipelineContribAPIResult:
    if isinstance(value, PipelineContribAPIResult):
        return value
    if isinstance(value, EngineAPIResult):
        # A contrib function often returns what a bamboo_engine.api call gave it: keep its outcome but
        # give callers the one result class they expect from contrib functions.
        return PipelineContribAPIResult(
            result=value.result,
            message=value.message,
            exc=value.exc,
            data=value.data,
            exc_trace=value.exc_trace,
        )
    return PipelineContribAPIResult(result=True, message="success", exc=None, data=value, exc_trace=None)


def ensure_return_pipeline_contrib_api_result(func: Callable) -> Callable:
    """Make ``func`` return a :class:`PipelineContribAPIResult` and never raise.

    A normal return value becomes ``data`` of a successful result; an exception is logged and becomes
    a failed result (``message="fail"``, ``exc``, ``exc_trace``); a returned api result keeps its outcome.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs) -> PipelineContribAPIResult:
        try:
            value = func(*args, **kwargs)
        except Exception as e:
            logger.exception("pipeline contrib api %s failed", func.__name__)
            return PipelineContribAPIResult(
                result=False, message="fail", exc=e, data=None, exc_trace=traceback.format_exc()
            )
        return _as_contrib_result(value)

    return wrapper
