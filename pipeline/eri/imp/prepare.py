"""Storing a prepared run (``prepare_run_pipeline``): the tree → records translation is the engine's
``bamboo_engine.prepare.prepare_pipeline``; this module turns its records into rows."""

import json
from typing import Any, Dict, List

from django.db import transaction

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import ContextValueType
from bamboo_engine.prepare import PreparedPipeline, prepare_pipeline
from pipeline.conf import settings
from pipeline.eri.codec import data_json_dumps
from pipeline.eri.imp.node import node_to_detail
from pipeline.eri.models import ContextOutputs, ContextValue, Data, Node

DEFAULT_PRIORITY = 100


def _node_rows(prepared: PreparedPipeline) -> List[Node]:
    return [
        Node(
            node_id=node_id,
            detail=json.dumps(node_to_detail(node)),
            root_pipeline_id=prepared.root_pipeline_id,
        )
        for node_id, node in prepared.nodes.items()
    ]


def _data_rows(prepared: PreparedPipeline) -> List[Data]:
    return [
        Data(node_id=node_id, inputs=data_json_dumps(data.inputs), outputs=json.dumps(data.outputs))
        for node_id, data in prepared.data.items()
    ]


def _context_rows(runtime: Any, prepared: PreparedPipeline) -> List[ContextValue]:
    rows = []
    for pipeline_id, values in prepared.context_values.items():
        for key, item in values.items():
            text, serializer = runtime._serialize(item.value.value)
            rows.append(
                ContextValue(
                    pipeline_id=pipeline_id,
                    key=key,
                    type=ContextValueType(item.value.type).value,
                    serializer=serializer,
                    code=item.value.code or "",
                    value=text,
                    references=json.dumps(sorted(item.references)),
                )
            )
    return rows


def _outputs_rows(prepared: PreparedPipeline) -> List[ContextOutputs]:
    return [
        ContextOutputs(pipeline_id=pipeline_id, outputs=json.dumps(outputs))
        for pipeline_id, outputs in prepared.context_outputs.items()
    ]


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
    rows: Dict[Any, list] = {
        Node: _node_rows(prepared),
        Data: _data_rows(prepared),
        ContextValue: _context_rows(runtime, prepared),
        ContextOutputs: _outputs_rows(prepared),
    }
    root_id = prepared.root_pipeline_id
    with transaction.atomic():
        for model, objects in rows.items():
            model.objects.bulk_create(objects, batch_size=batch_size)
        process_id = runtime.create_process(
            root_id,
            prepared.pipeline_stack,
            queue=options.get("queue", "") or "",
            priority=options.get("priority") or DEFAULT_PRIORITY,
        )
        runtime.set_state(root_id, states.RUNNING, root_id=root_id, parent_id="", set_started_time=True)
    return process_id
