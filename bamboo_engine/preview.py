"""Render a node's inputs against a pipeline tree without running it (``api.preview_node_inputs``).

Inputs are rendered the way a run would render them: splice inputs are templates, ``plain`` inputs and
inputs with ``need_render: false`` are taken as they are, and ``lazy`` inputs become compute variables
of the containing pipeline. Only the context values an input references (transitively) are resolved, so
an unrelated broken variable does not spoil the preview.
"""

import copy
from typing import Dict, List, Set

from bamboo_engine.context import Context
from bamboo_engine.eri import ContextValue, ContextValueType, NodeType
from bamboo_engine.exceptions import InvalidOperationError, NotFoundError
from bamboo_engine.template import Template
from bamboo_engine.utils.constants import VAR_CONTEXT_MAPPING
from bamboo_engine.utils.string import deformat_var_key, format_var_key

_PLAIN = "plain"
_LAZY = "lazy"


def preview_inputs(
    runtime,
    pipeline: dict,
    node_id: str,
    subprocess_stack: List[str],
    root_pipeline_data: dict,
    parent_params: dict,
) -> dict:
    """Walk down ``subprocess_stack`` from ``pipeline`` and render ``node_id``'s inputs there.

    Raises:
        NotFoundError: a node of the stack or the target node is not in its tree.
        InvalidOperationError: a stack entry is not a SubProcess/SubCanvas, or the target has no inputs.
    """
    # parent params override the child's own defaults, as at run time
    context_infos = {**pipeline.get("data", {}).get("inputs", {}), **parent_params}
    if subprocess_stack:
        child_id = subprocess_stack[0]
        child = _find_activity(pipeline, child_id)
        if child["type"] == NodeType.SubProcess.value:
            rendered = _render(runtime, child.get("params", {}), context_infos, root_pipeline_data, child_id)
            child_params = {key: {"type": _PLAIN, "value": value} for key, value in rendered.items()}
        elif child["type"] == NodeType.SubCanvas.value:
            # a SubCanvas starts with a copy of its parent's context values
            child_params = context_infos
        else:
            raise InvalidOperationError(
                f"node({child_id}) in subprocess_stack is a {child['type']}, not a SubProcess or SubCanvas"
            )
        return preview_inputs(
            runtime, child["pipeline"], node_id, subprocess_stack[1:], root_pipeline_data, child_params
        )

    target = _find_activity(pipeline, node_id)
    if target["type"] == NodeType.ServiceActivity.value:
        raw_inputs = target.get("component", {}).get("inputs", {})
    elif target["type"] == NodeType.SubProcess.value:
        raw_inputs = target.get("params", {})
    else:
        raise InvalidOperationError(f"can not preview inputs of node({node_id}) with type {target['type']}")
    return _render(runtime, raw_inputs, context_infos, root_pipeline_data, node_id)


def _find_activity(pipeline: dict, node_id: str) -> dict:
    for group in ("activities", "gateways"):
        node = pipeline.get(group, {}).get(node_id)
        if node is not None:
            return node
    for event in ("start_event", "end_event"):
        if pipeline.get(event, {}).get("id") == node_id:
            return pipeline[event]
    raise NotFoundError(f"node({node_id}) does not exist in pipeline({pipeline.get('id')})")


def _render(runtime, raw_inputs: dict, context_infos: dict, root_pipeline_data: dict, node_id: str) -> dict:
    """Render ``{key: input}`` of a node against the context described by ``context_infos``."""
    values = {key: _to_context_value(key, info) for key, info in context_infos.items()}
    templates = {}
    as_is = {}
    for key, info in raw_inputs.items():
        if info.get("need_render") is False or info.get("type") == _PLAIN:
            as_is[key] = info.get("value")
        elif info.get("type") == _LAZY:
            lazy_key = format_var_key(f"{deformat_var_key(key)}_{node_id}")
            values[lazy_key] = ContextValue(
                key=lazy_key,
                type=ContextValueType.COMPUTE,
                value=info.get("value"),
                code=info.get("custom_type"),
            )
            templates[key] = lazy_key
        else:
            # Template.render replaces dict values in place: never let it touch the caller's tree
            templates[key] = copy.deepcopy(info.get("value"))

    needed = _referenced_values(templates, values)
    hydrated = Context(runtime, needed, root_pipeline_data).hydrate(deformat=True) if needed else {}
    rendered = Template(templates).render(hydrated)
    return {key: rendered[key] if key in rendered else as_is[key] for key in raw_inputs}


def _to_context_value(key: str, info: dict) -> ContextValue:
    try:
        value_type = VAR_CONTEXT_MAPPING[info.get("type", _PLAIN)]
    except KeyError:
        raise InvalidOperationError(f"context value {key} has unknown type {info.get('type')!r}")
    return ContextValue(key=key, type=value_type, value=info.get("value"), code=info.get("custom_type"))


def _referenced_values(templates: dict, values: Dict[str, ContextValue]) -> List[ContextValue]:
    """The context values ``templates`` reference, directly or through other values."""
    pending: Set[str] = set(Template(templates).get_reference())
    needed: Dict[str, ContextValue] = {}
    while pending:
        key = pending.pop()
        if key in needed or key not in values:
            continue
        needed[key] = values[key]
        if values[key].type != ContextValueType.PLAIN:
            pending |= set(Template(values[key].value).get_reference())
    return list(needed.values())
