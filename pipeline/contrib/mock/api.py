"""Public function of ``pipeline.contrib.mock`` (returns a ``PipelineContribAPIResult``)."""

from typing import Any, Dict

from django.db import transaction

from pipeline.contrib.mock import handler
from pipeline.contrib.utils import ensure_return_pipeline_contrib_api_result


@ensure_return_pipeline_contrib_api_result
def update_node_outputs(
    root_pipeline_id: str, node_id: str, context_values: Dict[str, Any]
) -> Dict[str, Any]:
    """Mock a FAILED node's outputs in a RUNNING pipeline; ``.data`` is the node's outputs after it.

    Args:
        context_values: ``{"${key}": value}`` (or ``{"key": value}``); ``${_system}`` is refused.

    A refused change is a failed result whose ``exc`` is ``UpdatePipelineContextException``; nothing is
    written then, and the writes of an accepted change are one transaction.
    """
    from pipeline.eri.runtime import BambooDjangoRuntime

    with transaction.atomic():
        return handler.update_node_outputs(BambooDjangoRuntime(), root_pipeline_id, node_id, context_values)
