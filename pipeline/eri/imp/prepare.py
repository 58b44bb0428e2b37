"""Storing a prepared run (``prepare_run_pipeline``): the tree → records translation is the engine's
``bamboo_engine.prepare.prepare_pipeline``; this module turns its records into rows."""

import json
from typing import Any, Callable, Dict, Iterable, Iterator, List, Tuple

from django.db import transaction

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import ContextValueType
from bamboo_engine.prepare import PreparedPipeline, prepare_pipeline
from bamboo_engine.prepare.gc import cyclic_gc_paused
from pipeline.conf import settings
from pipeline.eri.codec import data_json_dumps
from pipeline.eri.imp.bulk_insert import insert_tables
from pipeline.eri.imp.node import node_to_detail
from pipeline.eri.models import ContextOutputs, ContextValue, Data, Node

DEFAULT_PRIORITY = 100
EMPTY_JSON_OBJECT = json.dumps({})


Rows = List[Tuple[Any, ...]]
# Node details are the bulk of a large run's bytes: no spaces means less to escape, send and store.
_COMPACT = json.JSONEncoder(separators=(",", ":")).encode

# Columns written per model (the others have database-side ids); the row tuples below follow this order.
_COLUMNS: Dict[Any, Tuple[str, ...]] = {
    Node: ("node_id", "detail", "root_pipeline_id"),
    Data: ("node_id", "inputs", "outputs"),
    ContextValue: ("pipeline_id", "key", "type", "serializer", "code", "value", "references"),
    ContextOutputs: ("pipeline_id", "outputs"),
}


def _columns(model: Any) -> List[str]:
    return [model._meta.get_field(name).column for name in _COLUMNS[model]]


def _node_rows(prepared: PreparedPipeline) -> Iterator[Tuple[str, str, str]]:
    # A generator: on MariaDB the details are serialised while the server stores the previous batch.
    root_id = prepared.root_pipeline_id
    for node_id, node in prepared.nodes.items():
        yield node_id, _COMPACT(node_to_detail(node)), root_id


def _data_rows(prepared: PreparedPipeline) -> Rows:
    return [
        (node_id, _json_object(data.inputs, data_json_dumps), _json_object(data.outputs, json.dumps))
        for node_id, data in prepared.data.items()
    ]


def _json_object(value: Dict[str, Any], dumps: Callable[[Any], str]) -> str:
    # Most nodes have no inputs and no outputs: skip the encoder (and its set-up) for the empty object.
    return dumps(value) if value else EMPTY_JSON_OBJECT


def _context_rows(runtime: Any, prepared: PreparedPipeline) -> Rows:
    rows = []
    for pipeline_id, values in prepared.context_values.items():
        for key, item in values.items():
            text, serializer = runtime._serialize(item.value.value)
            type_value = ContextValueType(item.value.type).value
            references = json.dumps(sorted(item.references))
            rows.append((pipeline_id, key, type_value, serializer, item.value.code or "", text, references))
    return rows


def _outputs_rows(prepared: PreparedPipeline) -> Rows:
    return [(pipeline_id, json.dumps(outputs)) for pipeline_id, outputs in prepared.context_outputs.items()]


def store_run(
    runtime: Any,
    pipeline: dict,
    root_pipeline_data: dict,
    root_pipeline_context: dict,
    subprocess_context: dict,
    **options: Any,
) -> int:
    """Prepare ``pipeline`` and write every record of the run in one transaction; returns the process id."""
    with cyclic_gc_paused():
        return _store_run(
            runtime, pipeline, root_pipeline_data, root_pipeline_context, subprocess_context, **options
        )


def _store_run(
    runtime: Any,
    pipeline: dict,
    root_pipeline_data: dict,
    root_pipeline_context: dict,
    subprocess_context: dict,
    **options: Any,
) -> int:
    prepared = prepare_pipeline(pipeline, root_pipeline_data, root_pipeline_context, subprocess_context)
    # Node rows are generated during the inserts; the others, whose values come from the tree and may
    # fail to serialise, are built before the transaction starts.
    rows: Dict[Any, Iterable[tuple]] = {
        Node: _node_rows(prepared),
        Data: _data_rows(prepared),
        ContextValue: _context_rows(runtime, prepared),
        ContextOutputs: _outputs_rows(prepared),
    }
    tables = [(model._meta.db_table, _columns(model), model_rows) for model, model_rows in rows.items()]
    root_id = prepared.root_pipeline_id
    with transaction.atomic():
        insert_tables(transaction.get_connection(), tables, settings.BAMBOO_DJANGO_ERI_PREPARE_BATCH_SIZE)
        process_id = runtime.create_process(
            root_id,
            prepared.pipeline_stack,
            queue=options.get("queue", "") or "",
            priority=options.get("priority") or DEFAULT_PRIORITY,
        )
        runtime.set_state(root_id, states.RUNNING, root_id=root_id, parent_id="", set_started_time=True)
    return process_id
