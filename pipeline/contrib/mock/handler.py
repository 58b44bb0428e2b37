"""The rule of ``update_node_outputs``, written against the Engine Runtime Interface only.

Checks: the root pipeline is RUNNING, the node belongs to it and is FAILED, and no key names the
built-in ``${_system}`` variable. Then, for each ``{key: value}`` (``"${code}"`` or ``"code"``):

* the node's execution outputs get ``code = value`` (merged into what is there);
* the context key the node's output ``code`` maps to (its ``data.outputs``), in the pipeline the node
  runs in, is set to ``value``;
* a key of the root pipeline's context with exactly that name (``"${code}"``) is set too.

Context values are written as PLAIN: a mocked value is a literal, never rendered again.
"""

import re
from typing import Any, Dict

from bamboo_engine import states
from bamboo_engine.eri import ContextValue, ContextValueType
from bamboo_engine.eri.interfaces import EngineRuntimeInterface
from pipeline.contrib.exceptions import UpdatePipelineContextException

FORMATTED_KEY_PATTERN = re.compile(r"^\$\{(.*)\}$")
SYSTEM_VARIABLE = "_system"


def _output_key(key: str) -> str:
    match = FORMATTED_KEY_PATTERN.match(key)
    return match.group(1) if match else key


def _check_states(runtime: EngineRuntimeInterface, root_pipeline_id: str, node_id: str) -> str:
    """The id of the pipeline the node runs in, once the states allow the change."""
    root_state = runtime.get_state_or_none(root_pipeline_id)
    if root_state is None:
        raise UpdatePipelineContextException(f"pipeline {root_pipeline_id} does not exist")
    if root_state.name != states.RUNNING:
        raise UpdatePipelineContextException(
            f"pipeline {root_pipeline_id} is {root_state.name}: node outputs change only while it is RUNNING"
        )
    node_state = runtime.get_state_or_none(node_id)
    if node_state is None or node_state.root_id != root_pipeline_id:
        raise UpdatePipelineContextException(f"node {node_id} does not exist in pipeline {root_pipeline_id}")
    if node_state.name != states.FAILED:
        raise UpdatePipelineContextException(
            f"node {node_id} is {node_state.name}: only a FAILED node's outputs can be changed"
        )
    return node_state.parent_id or root_pipeline_id


def _check_keys(context_values: Dict[str, Any]) -> None:
    if not isinstance(context_values, dict):
        raise UpdatePipelineContextException(
            f"context_values must be a dict of {{key: value}}, got {type(context_values).__name__}"
        )
    for key in context_values:
        name = _output_key(str(key))
        if name == SYSTEM_VARIABLE or name.startswith(SYSTEM_VARIABLE + "."):
            raise UpdatePipelineContextException(
                f"{key} is the built-in ${{_system}} variable: it can not be changed"
            )


def update_node_outputs(
    runtime: EngineRuntimeInterface, root_pipeline_id: str, node_id: str, context_values: Dict[str, Any]
) -> Dict[str, Any]:
    """Apply the mock (see the module docstring); returns the node's execution outputs after it.

    Raises:
        UpdatePipelineContextException: a check failed (the message names the pipeline, node or key).
    """
    _check_keys(context_values)
    parent_id = _check_states(runtime, root_pipeline_id, node_id)
    mocked = {_output_key(key): value for key, value in context_values.items()}

    output_mapping = runtime.get_data_outputs(node_id) or {}
    writes: Dict[str, Dict[str, ContextValue]] = {}
    for output_key, value in mocked.items():
        context_key = output_mapping.get(output_key)
        if context_key:
            writes.setdefault(parent_id, {})[context_key] = ContextValue(
                context_key, ContextValueType.PLAIN, value
            )
    existing_root_keys = {
        value.key for value in runtime.get_context_values(root_pipeline_id, set(map(str, context_values)))
    }
    for key in existing_root_keys:
        writes.setdefault(root_pipeline_id, {})[key] = ContextValue(
            key, ContextValueType.PLAIN, context_values[key]
        )

    outputs = dict(runtime.get_execution_data_outputs(node_id) or {})
    outputs.update(mocked)
    runtime.set_execution_data_outputs(node_id, outputs)
    for pipeline_id, update in writes.items():
        runtime.upsert_plain_context_values(pipeline_id, update)
    return outputs
