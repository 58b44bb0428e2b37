"""Storing a prepared run (``prepare_run_pipeline``): the tree → records translation is the engine's
``bamboo_engine.prepare.prepare_pipeline``; this module turns its records into rows."""

import json
from typing import Any, Dict, List, Tuple

from django.db import transaction

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import ContextValueType
from bamboo_engine.prepare import PreparedPipeline, prepare_pipeline
from pipeline.conf import settings
from pipeline.eri.codec import data_json_dumps
from pipeline.eri.imp.node import node_to_detail
from pipeline.eri.models import ContextOutputs, ContextValue, Data, Node

DEFAULT_PRIORITY = 100


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


def _node_rows(prepared: PreparedPipeline) -> Rows:
    root_id = prepared.root_pipeline_id
    return [(node_id, _COMPACT(node_to_detail(node)), root_id) for node_id, node in prepared.nodes.items()]


def _data_rows(prepared: PreparedPipeline) -> Rows:
    return [
        (node_id, data_json_dumps(data.inputs), json.dumps(data.outputs))
        for node_id, data in prepared.data.items()
    ]


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


def _bulk_insert(model: Any, rows: Rows, batch_size: int) -> None:
    """INSERT ``rows`` in chunks of ``batch_size`` through ``executemany``.

    ``bulk_create`` spends most of a large run's prepare time building model instances and compiling
    one placeholder per value; the rows are plain text here, so the statement is built once. DB-API
    drivers send each chunk as one multi-row INSERT (MySQL) or a prepared statement loop (SQLite).
    """
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    columns = _COLUMNS[model]
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        quote(model._meta.db_table),
        ", ".join(quote(model._meta.get_field(c).column) for c in columns),
        ", ".join(["%s"] * len(columns)),
    )
    size = max(int(batch_size or len(rows) or 1), 1)
    with connection.cursor() as cursor:
        for begin in range(0, len(rows), size):
            cursor.executemany(sql, rows[begin : begin + size])


def store_run(
    runtime: Any,
    pipeline: dict,
    root_pipeline_data: dict,
    root_pipeline_context: dict,
    subprocess_context: dict,
    **options: Any,
) -> int:
    """Prepare ``pipeline`` and write every record of the run in one transaction; returns the process id."""
    prepared = prepare_pipeline(pipeline, root_pipeline_data, root_pipeline_context, subprocess_context)
    batch_size = settings.BAMBOO_DJANGO_ERI_PREPARE_BATCH_SIZE
    rows: Dict[Any, Rows] = {
        Node: _node_rows(prepared),
        Data: _data_rows(prepared),
        ContextValue: _context_rows(runtime, prepared),
        ContextOutputs: _outputs_rows(prepared),
    }
    root_id = prepared.root_pipeline_id
    with transaction.atomic():
        for model, model_rows in rows.items():
            if model_rows:
                _bulk_insert(model, model_rows, batch_size)
        process_id = runtime.create_process(
            root_id,
            prepared.pipeline_stack,
            queue=options.get("queue", "") or "",
            priority=options.get("priority") or DEFAULT_PRIORITY,
        )
        runtime.set_state(root_id, states.RUNNING, root_id=root_id, parent_id="", set_started_time=True)
    return process_id
