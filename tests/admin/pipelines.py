"""Runtime rows of a finished and of a failed pipeline, written straight through the ORM.

Each builder returns the ids the tests look for. The shapes follow what the Django runtime stores:
a root process, node details, states, node data, execution data (JSON with a recorded serializer),
context values and outputs, histories, schedules, callbacks and logs.
"""

import base64
import json
import pickle
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from bamboo_engine.utils.string import unique_id
from pipeline.eri import models

UNPICKLED = []


def _record_unpickling():
    UNPICKLED.append(True)
    return "unpickled!"


class _Tripwire:
    """Pickles to a payload whose loading calls :func:`_record_unpickling`."""

    def __reduce__(self):
        return (_record_unpickling, ())


TRIPWIRE_PICKLE = base64.b64encode(pickle.dumps(_Tripwire())).decode("ascii")


@dataclass
class PipelineRows:
    root_id: str
    start_id: str
    act_id: str
    end_id: str
    process_id: int


def _node_detail(node_id: str, node_type: str, root_id: str, **extra) -> str:
    detail = {
        "id": node_id,
        "type": node_type,
        "targets": {},
        "root_pipeline_id": root_id,
        "parent_pipeline_id": root_id,
        "can_skip": True,
        "can_retry": True,
    }
    detail.update(extra)
    return json.dumps(detail)


def _create_nodes(rows: PipelineRows) -> None:
    models.Node.objects.bulk_create(
        [
            models.Node(
                node_id=rows.start_id,
                detail=_node_detail(rows.start_id, "EmptyStartEvent", rows.root_id),
                root_pipeline_id=rows.root_id,
            ),
            models.Node(
                node_id=rows.act_id,
                detail=_node_detail(
                    rows.act_id, "ServiceActivity", rows.root_id, name="compute", code="calc", version="1.0"
                ),
                root_pipeline_id=rows.root_id,
            ),
            models.Node(
                node_id=rows.end_id,
                detail=_node_detail(rows.end_id, "EmptyEndEvent", rows.root_id),
                root_pipeline_id=rows.root_id,
            ),
        ]
    )


def _create_states(rows: PipelineRows, root_state: str, act_state: str, end_state: str = "") -> None:
    now = timezone.now()
    names = [(rows.root_id, root_state, ""), (rows.start_id, "FINISHED", rows.root_id)]
    names.append((rows.act_id, act_state, rows.root_id))
    if end_state:
        names.append((rows.end_id, end_state, rows.root_id))
    for node_id, name, parent_id in names:
        archived = now if name in ("FINISHED", "FAILED") else None
        models.State.objects.create(
            node_id=node_id,
            root_id=rows.root_id,
            parent_id=parent_id,
            name=name,
            version=unique_id("v"),
            started_time=now - timedelta(seconds=5),
            archived_time=archived,
        )


def _create_context(rows: PipelineRows) -> None:
    models.ContextValue.objects.create(
        pipeline_id=rows.root_id,
        key="${greeting}",
        type=1,
        serializer="json",
        value=json.dumps({"text": "hello operator", "lang": "en"}),
        references="[]",
    )
    models.ContextOutputs.objects.create(pipeline_id=rows.root_id, outputs=json.dumps(["${greeting}"]))
    models.Data.objects.create(
        node_id=rows.act_id,
        inputs=json.dumps({"expr": {"need_render": True, "value": "${greeting}"}}),
        outputs=json.dumps({"answer": "${answer}"}),
    )


def _create_pipeline(root_state: str, act_state: str, end_state: str, act_outputs: dict) -> PipelineRows:
    root_id = unique_id("p")
    process = models.Process.objects.create(
        root_pipeline_id=root_id,
        priority=100,
        pipeline_stack=json.dumps([root_id]),
        dead=root_state == "FINISHED",
    )
    rows = PipelineRows(root_id, unique_id("n"), unique_id("n"), unique_id("n"), process.id)
    _create_nodes(rows)
    _create_states(rows, root_state, act_state, end_state)
    _create_context(rows)
    models.ExecutionData.objects.create(
        node_id=rows.act_id,
        inputs_serializer="json",
        outputs_serializer="json",
        inputs=json.dumps({"expr": "1 / 0", "_loop": 1}),
        outputs=json.dumps(act_outputs),
    )
    return rows


def create_finished_pipeline() -> PipelineRows:
    """A pipeline whose activity ran once, was retried, and finished; the pipeline finished too."""
    rows = _create_pipeline("FINISHED", "FINISHED", "FINISHED", {"answer": 42, "_result": True, "_loop": 1})
    now = timezone.now()
    models.ExecutionHistory.objects.create(
        node_id=rows.act_id,
        loop=1,
        retry=0,
        skip=False,
        version=unique_id("v"),
        started_time=now - timedelta(minutes=1),
        archived_time=now - timedelta(seconds=30),
        inputs_serializer="json",
        outputs_serializer="json",
        inputs=json.dumps({"expr": "1 / 0"}),
        outputs=json.dumps({"ex_data": "first try failed", "_result": False}),
    )
    models.Schedule.objects.create(
        type=3, process_id=rows.process_id, node_id=rows.act_id, version=unique_id("v"), finished=True
    )
    models.CallbackData.objects.create(
        node_id=rows.act_id, version=unique_id("v"), data=json.dumps({"ok": 1})
    )
    models.LogEntry.objects.create(
        node_id=rows.act_id, logger_name="pipeline.eri.log", level_name="INFO", message="computed the answer"
    )
    return rows


FAILED_EX_DATA = (
    'ZeroDivisionError: division by zero at <node "compute">\n'
    "Traceback (most recent call last):\n"
    '  File "calc.py", line 3, in execute\n'
    "ZeroDivisionError: division by zero"
)


def create_failed_pipeline() -> PipelineRows:
    """A pipeline still RUNNING whose activity FAILED; one context value was stored with pickle."""
    outputs = {"ex_data": FAILED_EX_DATA, "_result": False, "_loop": 1}
    rows = _create_pipeline("RUNNING", "FAILED", "", outputs)
    models.ContextValue.objects.create(
        pipeline_id=rows.root_id,
        key="${opaque}",
        type=1,
        serializer="pickle",
        value=TRIPWIRE_PICKLE,
        references="[]",
    )
    models.Schedule.objects.create(
        type=1, process_id=rows.process_id, node_id=rows.act_id, version=unique_id("v")
    )
    return rows
