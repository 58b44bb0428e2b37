"""Storing a prepared run (``prepare_run_pipeline``): the tree → records translation is the engine's
``bamboo_engine.prepare`` (streamed: :func:`~bamboo_engine.prepare.stream_pipeline`); this module turns its
records into rows."""

import json
from typing import Any, Callable, Dict, Iterator, Tuple

from django.db import transaction

from bamboo_engine import states
from bamboo_engine.eri.models.node import Node as NodeRecord
from bamboo_engine.eri.models.runtime import ContextValueType
from bamboo_engine.prepare import PreparedPipeline, stream_pipeline
from bamboo_engine.prepare.gc import cyclic_gc_paused
from bamboo_engine.prepare.route import run_route
from pipeline.conf import settings
from pipeline.eri.codec import data_inputs_dumps
from pipeline.eri.imp.bulk_insert import Table, insert_tables
from pipeline.eri.imp.node import node_to_detail
from pipeline.eri.models import ContextOutputs, ContextValue, Data, Node

EMPTY_JSON_OBJECT = json.dumps({})


Rows = Iterator[Tuple[Any, ...]]
# Node details are the bulk of a large run's bytes: no spaces means less to escape, send and store.
_COMPACT = json.JSONEncoder(separators=(",", ":")).encode

# Columns written per model (the others have database-side ids); the row tuples below follow this order.
_COLUMNS: Dict[Any, Tuple[str, ...]] = {
    Node: ("node_id", "detail", "root_pipeline_id"),
    Data: ("node_id", "inputs", "outputs"),
    ContextValue: ("pipeline_id", "key", "type", "serializer", "code", "value", "references"),
    ContextOutputs: ("pipeline_id", "outputs"),
}


def _table(model: Any, rows: Rows) -> Table:
    return model._meta.db_table, [model._meta.get_field(name).column for name in _COLUMNS[model]], rows


# The row builders are generators, consumed by the inserts (see store_run).


def _node_rows(nodes: Iterator[NodeRecord], root_id: str) -> Rows:
    for node in nodes:
        yield node.id, _COMPACT(node_to_detail(node)), root_id


def _data_rows(prepared: PreparedPipeline) -> Rows:
    for node_id, data in prepared.data.items():
        yield node_id, _json_object(data.inputs, data_inputs_dumps), _json_object(data.outputs, json.dumps)


def _json_object(value: Dict[str, Any], dumps: Callable[[Any], str]) -> str:
    # Most nodes have no inputs and no outputs: skip the encoder (and its set-up) for the empty object.
    return dumps(value) if value else EMPTY_JSON_OBJECT


def _context_rows(runtime: Any, prepared: PreparedPipeline) -> Rows:
    for pipeline_id, values in prepared.context_values.items():
        for key, item in values.items():
            text, serializer = runtime._serialize(item.value.value)
            type_value = ContextValueType(item.value.type).value
            references = json.dumps(sorted(item.references))
            yield pipeline_id, key, type_value, serializer, item.value.code or "", text, references


def _outputs_rows(prepared: PreparedPipeline) -> Rows:
    for pipeline_id, outputs in prepared.context_outputs.items():
        yield pipeline_id, json.dumps(outputs)


@cyclic_gc_paused()
def store_run(
    runtime: Any,
    pipeline: dict,
    root_pipeline_data: dict,
    root_pipeline_context: dict,
    subprocess_context: dict,
    **options: Any,
) -> int:
    """Prepare ``pipeline`` and write every record of the run in one transaction; returns the process id."""
    queue, priority = run_route(options)
    prepared, nodes = stream_pipeline(pipeline, root_pipeline_data, root_pipeline_context, subprocess_context)
    root_id = prepared.root_pipeline_id
    # Written in this order, each table's rows made only once the previous table's are sent: the node rows
    # while the tree is walked (on MariaDB, while the server stores the previous batch), the others once the
    # walk has completed the records. A tree or a value that fails to translate rolls the transaction back.
    tables = [
        _table(Node, _node_rows(nodes, root_id)),
        _table(Data, _data_rows(prepared)),
        _table(ContextValue, _context_rows(runtime, prepared)),
        _table(ContextOutputs, _outputs_rows(prepared)),
    ]
    # No savepoint inside the engine's unit (the run and its first message): a failure rolls both back.
    with transaction.atomic(savepoint=False):
        insert_tables(transaction.get_connection(), tables, settings.BAMBOO_DJANGO_ERI_PREPARE_BATCH_SIZE)
        process_id = runtime.create_process(
            root_id,
            prepared.pipeline_stack,
            queue=queue,
            priority=priority,
        )
        runtime.set_state(root_id, states.RUNNING, root_id=root_id, parent_id="", set_started_time=True)
    return process_id
