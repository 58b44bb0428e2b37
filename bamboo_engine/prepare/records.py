"""Tree → ERI records: what ``prepare_run_pipeline`` stores.

Pure functions: they read a validated pipeline tree and return ERI model objects (nodes, node data,
context values with their references, context outputs, the root process stack). Any runtime stores
these records its own way; the in-memory runtime keeps them in dicts, the Django runtime can turn
them into rows.
"""

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, Iterator, List, Optional, Set, Tuple

from bamboo_engine.eri.models.node import Node, NodeType
from bamboo_engine.eri.models.runtime import ContextValue, ContextValueType, Data, DataInput
from bamboo_engine.exceptions import TreeInvalidException
from bamboo_engine.prepare.gc import cyclic_gc_paused
from bamboo_engine.prepare.nodes import build_node
from bamboo_engine.utils.constants import VAR_CONTEXT_MAPPING
from bamboo_engine.utils.string import deformat_var_key, format_var_key

CONTEXT_KEY_MAX_LENGTH = 128
PRE_RENDER_KEYS = "pre_render_keys"
# Type strings read once: an enum member's ``.value`` is a descriptor call, and this runs per node.
_SERVICE_ACTIVITY = NodeType.ServiceActivity.value
_SUB_PROCESS = NodeType.SubProcess.value
_SUB_PIPELINE_TYPES = (_SUB_PROCESS, NodeType.SubCanvas.value)


@dataclass
class PreparedContextValue:
    """A context value of one (sub)pipeline plus the transitive closure of the keys it references."""

    pipeline_id: str
    value: ContextValue
    references: Set[str] = field(default_factory=set)


@dataclass
class PreparedPipeline:
    """Everything ``prepare_run_pipeline`` stores for one run.

    Attributes:
        pipeline_ids: the root id and every SubProcess/SubCanvas id, root first.
        data: node data by node id; also the root pipeline's data (``root_pipeline_data``).
        context_values: ``{pipeline_id: {key: PreparedContextValue}}``.
        context_outputs: ``{pipeline_id: [context keys]}`` (the trees' ``data.outputs``).
        pipeline_stack: stack of the root process.
    """

    root_pipeline_id: str
    pipeline_ids: List[str] = field(default_factory=list)
    nodes: Dict[str, Node] = field(default_factory=dict)
    data: Dict[str, Data] = field(default_factory=dict)
    context_values: Dict[str, Dict[str, PreparedContextValue]] = field(default_factory=dict)
    context_outputs: Dict[str, List[str]] = field(default_factory=dict)
    pipeline_stack: List[str] = field(default_factory=list)


def prepare_pipeline(
    pipeline: dict,
    root_pipeline_data: Optional[dict] = None,
    root_pipeline_context: Optional[dict] = None,
    subprocess_context: Optional[dict] = None,
) -> PreparedPipeline:
    """Translate a validated tree into ERI records.

    Raises:
        TreeInvalidException: a node, input or condition of the tree is malformed (the message names it).
    """
    with cyclic_gc_paused():
        prepared, nodes = stream_pipeline(
            pipeline, root_pipeline_data, root_pipeline_context, subprocess_context
        )
        deque(nodes, maxlen=0)
        return prepared


def stream_pipeline(
    pipeline: dict,
    root_pipeline_data: Optional[dict] = None,
    root_pipeline_context: Optional[dict] = None,
    subprocess_context: Optional[dict] = None,
) -> Tuple[PreparedPipeline, Iterator[Node]]:
    """:func:`prepare_pipeline` done while the caller consumes the returned iterator.

    The iterator yields each node as soon as it is built (a node is final then; its data is not: outputs
    and pre-render keys are added later). Nothing is built before the first ``next()``; the records are
    complete once the iterator is exhausted. A runtime can so store the nodes while the rest is built.

    Raises (from the iterator):
        TreeInvalidException: as :func:`prepare_pipeline`.
    """
    root_id = pipeline["id"]
    prepared = PreparedPipeline(root_pipeline_id=root_id, pipeline_stack=[root_id])
    nodes = _build(pipeline, prepared, root_pipeline_data, root_pipeline_context, subprocess_context)
    return prepared, nodes


def _build(
    pipeline: dict,
    prepared: PreparedPipeline,
    root_pipeline_data: Optional[dict],
    root_pipeline_context: Optional[dict],
    subprocess_context: Optional[dict],
) -> Iterator[Node]:
    root_id = prepared.root_pipeline_id
    yield from _walk_pipeline(pipeline, root_id, root_id, prepared, subprocess_context or {})
    prepared.data[root_id] = Data(
        inputs={k: DataInput(need_render=False, value=v) for k, v in (root_pipeline_data or {}).items()},
        outputs={},
    )
    _preset_plain(prepared, root_id, root_pipeline_context or {})
    for values in prepared.context_values.values():
        closure = reference_closure([p.value for p in values.values()])
        for key, item in values.items():
            item.references = closure.get(key, set())


def _walk_pipeline(
    tree: dict, pipeline_id: str, root_id: str, prepared: PreparedPipeline, sub_context: dict
) -> Iterator[Node]:
    prepared.pipeline_ids.append(pipeline_id)
    prepared.context_values.setdefault(pipeline_id, {})
    tree_data = tree.get("data") or {}
    prepared.context_outputs[pipeline_id] = list(tree_data.get("outputs") or [])
    nodes, data = prepared.nodes, prepared.data
    for node_dict in _tree_nodes(tree):
        node = build_node(node_dict, tree, root_id, pipeline_id)
        nodes[node.id] = node
        inputs = _node_inputs(node_dict, pipeline_id, prepared)
        data.setdefault(node.id, Data(inputs={}, outputs={})).inputs.update(inputs)
        yield node
        if node_dict["type"] in _SUB_PIPELINE_TYPES:
            yield from _walk_pipeline(node_dict["pipeline"], node.id, root_id, prepared, sub_context)
            if node_dict["type"] == _SUB_PROCESS:
                _preset_plain(prepared, node.id, sub_context)
    start_id = tree["start_event"]["id"]
    prepared.data[start_id].inputs[PRE_RENDER_KEYS] = DataInput(
        need_render=False, value=list(tree_data.get(PRE_RENDER_KEYS) or [])
    )
    _pipeline_inputs(tree_data.get("inputs") or {}, pipeline_id, prepared)


def _tree_nodes(tree: dict) -> Iterable[dict]:
    yield tree["start_event"]
    yield tree["end_event"]
    yield from (tree.get("activities") or {}).values()
    yield from (tree.get("gateways") or {}).values()


def _preset_plain(prepared: PreparedPipeline, pipeline_id: str, values: dict) -> None:
    for key, value in values.items():
        key = format_var_key(deformat_var_key(key))
        cv = ContextValue(key=key, type=ContextValueType.PLAIN, value=value, code="")
        prepared.context_values[pipeline_id][key] = PreparedContextValue(pipeline_id, cv)


# -- node data ---------------------------------------------------------------------------------


def _node_inputs(node_dict: dict, pipeline_id: str, prepared: PreparedPipeline) -> Dict[str, DataInput]:
    node_type = node_dict.get("type")
    if node_type == _SERVICE_ACTIVITY:
        raw_inputs = (node_dict.get("component") or {}).get("inputs") or {}
    elif node_type == _SUB_PROCESS:
        raw_inputs = node_dict.get("params") or {}
    else:
        return {}
    return {
        key: _convert_input(node_dict["id"], key, spec, pipeline_id, prepared)
        for key, spec in raw_inputs.items()
    }


def _convert_input(
    node_id: str, key: str, spec: Any, pipeline_id: str, prepared: PreparedPipeline
) -> DataInput:
    if not isinstance(spec, dict) or "type" not in spec:
        raise TreeInvalidException(f"input {key!r} of node({node_id}) must be a dict with 'type' and 'value'")
    input_type, value = spec["type"], spec.get("value")
    if input_type not in VAR_CONTEXT_MAPPING:
        raise TreeInvalidException(f"input {key!r} of node({node_id}) has unknown type {input_type!r}")
    if spec.get("need_render") is False:
        return DataInput(need_render=False, value=value)
    if input_type == "plain":
        return DataInput(need_render=False, value=value)
    if input_type == "splice":
        return DataInput(need_render=True, value=value)
    lazy_key = lazy_input_key(node_id, key)
    cv = ContextValue(
        key=lazy_key, type=ContextValueType.COMPUTE, value=value, code=spec.get("custom_type") or ""
    )
    prepared.context_values[pipeline_id][lazy_key] = PreparedContextValue(pipeline_id, cv)
    return DataInput(need_render=True, value=lazy_key)


def lazy_input_key(node_id: str, input_key: str) -> str:
    """Context key of a node's lazy input: ``${<name>_<node_id>}`` (at most 128 characters).

    Raises:
        TreeInvalidException: the key would not fit the 128-character context key column.
    """
    key = format_var_key(f"{deformat_var_key(input_key)}_{node_id}")
    if len(key) > CONTEXT_KEY_MAX_LENGTH:
        raise TreeInvalidException(
            f"lazy input {input_key!r} of node({node_id}) gives context key {key!r} of {len(key)} "
            f"characters, "
            f"longer than {CONTEXT_KEY_MAX_LENGTH}; use a shorter input name"
        )
    return key


# -- pipeline context --------------------------------------------------------------------------


def _pipeline_inputs(inputs: dict, pipeline_id: str, prepared: PreparedPipeline) -> None:
    for key, spec in inputs.items():
        if not isinstance(spec, dict) or "type" not in spec:
            raise TreeInvalidException(
                f"data input {key!r} of pipeline({pipeline_id}) must be a dict with 'type'"
            )
        source_act = spec.get("source_act")
        if source_act:
            _map_outputs(key, spec, pipeline_id, prepared)
            if not spec.get("need_initialization"):
                continue
        if spec["type"] not in VAR_CONTEXT_MAPPING:
            raise TreeInvalidException(
                f"data input {key!r} of pipeline({pipeline_id}) has unknown type {spec['type']!r}"
            )
        cv = ContextValue(
            key=key,
            type=VAR_CONTEXT_MAPPING[spec["type"]],
            value=spec.get("value"),
            code=spec.get("custom_type") or "",
        )
        prepared.context_values[pipeline_id][key] = PreparedContextValue(pipeline_id, cv)


def _map_outputs(key: str, spec: dict, pipeline_id: str, prepared: PreparedPipeline) -> None:
    source_act = spec["source_act"]
    if isinstance(source_act, str):
        sources = [{"source_act": source_act, "source_key": spec.get("source_key")}]
    else:
        sources = list(source_act)
    for source in sources:
        node_id, source_key = source.get("source_act"), source.get("source_key")
        if node_id not in prepared.data or not source_key:
            raise TreeInvalidException(
                f"data input {key!r} of pipeline({pipeline_id}) maps output {source_key!r} of "
                f"node({node_id}), which is not a node of the tree or has no source_key"
            )
        prepared.data[node_id].outputs[source_key] = key


def template_references(value: Any) -> Set[str]:
    """Keys (``${name}`` form) referenced by the ``${}`` fragments of ``value``."""
    from bamboo_engine.template import Template

    return set(Template(value).get_reference())


def reference_closure(values: List[ContextValue]) -> Dict[str, Set[str]]:
    """``{key: every key it needs, directly or through other values}`` for one pipeline's values."""
    direct = {
        cv.key: (
            set() if ContextValueType(cv.type) == ContextValueType.PLAIN else template_references(cv.value)
        )
        for cv in values
    }
    closure: Dict[str, Set[str]] = {}
    for key, refs in direct.items():
        seen: Set[str] = set()
        pending = list(refs)
        while pending:
            ref = pending.pop()
            if ref in seen:
                continue
            seen.add(ref)
            pending.extend(direct.get(ref, ()))
        seen.discard(key)
        closure[key] = seen
    return closure
