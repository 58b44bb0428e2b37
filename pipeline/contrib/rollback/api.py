"""The rollback api (upstream's five functions), on the Django runtime.

Every function returns a :class:`~pipeline.contrib.utils.PipelineContribAPIResult` and never raises; a
refusal has ``result=False`` and a :class:`~pipeline.contrib.exceptions.RollBackException` whose message
says why. The rules are ``bamboo_engine.rollback``; docs/rollback.md describes them.
"""

import functools
from typing import Any, Callable, List

from bamboo_engine.exceptions import RollbackError
from bamboo_engine.rollback import operations
from pipeline.contrib.exceptions import RollBackException
from pipeline.contrib.rollback.constants import TOKEN
from pipeline.contrib.utils import ensure_return_pipeline_contrib_api_result
from pipeline.eri.runtime import BambooDjangoRuntime


def _refusals_as_rollback_exception(func: Callable) -> Callable:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RollbackError as err:
            raise RollBackException(str(err)) from err

    return wrapper


@ensure_return_pipeline_contrib_api_result
@_refusals_as_rollback_exception
def rollback(
    root_pipeline_id: str,
    start_node_id: str,
    target_node_id: str,
    skip_rollback_nodes: list = None,
    mode: str = TOKEN,
    **options,
):
    """Roll the pipeline back from ``start_node_id`` (where it stopped) to ``target_node_id``.

    Args:
        skip_rollback_nodes: activities whose ``rollback()`` is not called (TOKEN mode).
        mode: ``TOKEN`` (undo the activities in between, then go on) or ``ANY`` (jump back at once).
        options: ``skip_check_token=True`` lets an ANY rollback cross token regions.
    """
    operations.rollback(
        BambooDjangoRuntime(),
        root_pipeline_id,
        start_node_id,
        target_node_id,
        skip_rollback_nodes,
        mode,
        **options,
    )


@ensure_return_pipeline_contrib_api_result
@_refusals_as_rollback_exception
def reserve_rollback(
    root_pipeline_id: str, start_node_id: str, target_node_id: str, mode: str = TOKEN, **options
):
    """Roll back to ``target_node_id`` as soon as the running activity ``start_node_id`` finishes."""
    operations.reserve_rollback(
        BambooDjangoRuntime(), root_pipeline_id, start_node_id, target_node_id, mode, **options
    )


@ensure_return_pipeline_contrib_api_result
@_refusals_as_rollback_exception
def cancel_reserved_rollback(
    root_pipeline_id: str, start_node_id: str, target_node_id: str, mode: str = TOKEN
):
    """Cancel a reservation before its start node finishes."""
    operations.cancel_reserved_rollback(
        BambooDjangoRuntime(), root_pipeline_id, start_node_id, target_node_id, mode
    )


@ensure_return_pipeline_contrib_api_result
@_refusals_as_rollback_exception
def retry_rollback_failed_node(
    root_pipeline_id: str, node_id: str, retry_data: dict = None, mode: str = TOKEN
):
    """Go on with a TOKEN rollback that failed at ``node_id``; its ``rollback()`` gets ``retry_data``."""
    operations.retry_rollback_failed_node(BambooDjangoRuntime(), root_pipeline_id, node_id, retry_data, mode)


@ensure_return_pipeline_contrib_api_result
@_refusals_as_rollback_exception
def get_allowed_rollback_node_id_list(
    root_pipeline_id: str, start_node_id: str, mode: str = TOKEN, **options
):
    """``.data``: the activities a rollback from ``start_node_id`` may go back to, in the order they ran."""
    found: List[str] = operations.get_allowed_rollback_node_id_list(
        BambooDjangoRuntime(), root_pipeline_id, start_node_id, mode, **options
    )
    return found
