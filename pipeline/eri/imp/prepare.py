"""PrepareMixin: the storage half of the shared prepare rule (``bamboo_engine.eri.rules.prepare``).

The tree → records translation is the engine's ``bamboo_engine.prepare`` (streamed:
:func:`~bamboo_engine.prepare.stream_pipeline`); this module turns its records into rows and inserts them
in batches (:mod:`pipeline.eri.imp.bulk_insert`), the node rows while the tree is still being walked.
"""

import json
from typing import Any, Callable, Dict, Iterator, Tuple

from django.db import transaction

from bamboo_engine.eri.models.node import Node as NodeRecord
from bamboo_engine.eri.rules.node import node_to_detail
from bamboo_engine.eri.rules.prepare import PrepareRules
from bamboo_engine.prepare import PreparedPipeline
from pipeline.conf import settings
from pipeline.eri.codec import data_inputs_dumps
from pipeline.eri.imp.bulk_insert import Table, insert_tables
from pipeline.eri.imp.context import stored_references
from pipeline.eri.imp.storage import StorageMixin
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


# The row builders are generators, consumed by the inserts (see PrepareMixin._store_prepared).


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
            row = runtime._context_row(item.value, item.references)
            references = stored_references(row["references"])
            yield pipeline_id, key, row["type"], row["serializer"], row["code"], row["value"], references


def _outputs_rows(prepared: PreparedPipeline) -> Rows:
    for pipeline_id, outputs in prepared.context_outputs.items():
        yield pipeline_id, json.dumps(outputs)


class PrepareMixin(StorageMixin, PrepareRules):
    """Stores the records of a prepared run (``prepare_run_pipeline`` is the shared rule)."""

    def _store_prepared(self, prepared: PreparedPipeline, nodes: Iterator[NodeRecord]) -> None:
        """Insert every table of the run, each one's rows made only once the previous table's are sent.

        The node rows are made while the tree is walked (on MariaDB, while the server stores the previous
        batch), the others once the walk has completed the records. A tree or a value that fails to
        translate raises inside the rule's transaction, which rolls back what was sent.
        """
        root_id = prepared.root_pipeline_id
        tables = [
            _table(Node, _node_rows(nodes, root_id)),
            _table(Data, _data_rows(prepared)),
            _table(ContextValue, _context_rows(self, prepared)),
            _table(ContextOutputs, _outputs_rows(prepared)),
        ]
        insert_tables(transaction.get_connection(), tables, settings.BAMBOO_DJANGO_ERI_PREPARE_BATCH_SIZE)
