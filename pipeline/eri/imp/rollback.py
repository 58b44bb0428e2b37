"""RollbackMixin: the shared rollback rules (``bamboo_engine.rollback``) on the models of the rollback app.

Rollback records live in ``pipeline.contrib.rollback``'s models, found by app label (``rollback``) when
first needed, so the runtime does not import the app's models and works without the app: the engine's
rollback calls then only log a warning, and reading rollback records finds none. Rollback messages go to
``ROLLBACK_QUEUE`` once the surrounding transaction committed; one that cannot be sent leaves its
rollback failed and retryable instead of waiting forever.
"""

import json
import logging
from typing import Any, Dict, Iterable, List, Optional

from django.apps import apps
from django.db import transaction

from bamboo_engine import codec
from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.rules.node import detail_to_node
from bamboo_engine.exceptions import RollbackError, UnstorableValueError
from bamboo_engine.rollback.rules import RollbackRules
from bamboo_engine.rollback.storage import NodeSnapshot, ProcessRow, Reservation, RollbackRecord
from pipeline.conf import settings
from pipeline.contrib.rollback.queues import ROLLBACK_TASK_NAME
from pipeline.eri import models
from pipeline.eri.imp.storage import StorageMixin

logger = logging.getLogger(__name__)

APP_LABEL = "rollback"
APP_NAME = "pipeline.contrib.rollback"

_RUN_MODELS = (
    models.State,
    models.Schedule,
    models.ExecutionData,
    models.CallbackData,
    models.ExecutionHistory,
)


def _model(name: str) -> Any:
    if not apps.is_installed(APP_NAME):
        raise RollbackError(f"rollback refused: {APP_NAME} is not in INSTALLED_APPS")
    return apps.get_model(APP_LABEL, name)


def publish(kwargs: Dict[str, Any]) -> None:
    """Send one rollback message to ``ROLLBACK_QUEUE`` (tests swap this function)."""
    from celery import current_app

    queue = settings.ROLLBACK_QUEUE
    options = {"queue": queue, "routing_key": queue}
    # Through the registered task when there is one, so ``task_always_eager`` runs it in place.
    task = current_app.tasks.get(ROLLBACK_TASK_NAME)
    if task is not None:
        task.apply_async(kwargs=kwargs, **options)
    else:
        current_app.send_task(ROLLBACK_TASK_NAME, kwargs=kwargs, **options)


def _record(row: Any) -> RollbackRecord:
    return RollbackRecord(
        id=row.id,
        root_pipeline_id=row.root_pipeline_id,
        start_node_id=row.start_node_id,
        target_node_id=row.target_node_id,
        graph=json.loads(row.graph or "{}"),
        node_access_record=json.loads(row.node_access_record or "{}"),
        skip_rollback_nodes=json.loads(row.skip_rollback_nodes or "[]"),
        other_nodes=json.loads(row.other_nodes or "[]"),
        is_expired=row.is_expired,
    )


def _reservation(row: Any) -> Reservation:
    return Reservation(
        id=row.id,
        root_pipeline_id=row.root_pipeline_id,
        start_node_id=row.start_node_id,
        target_node_id=row.target_node_id,
        mode=row.mode,
        options=dict(row.options or {}),
        is_expired=row.is_expired,
    )


def _storable(values: Dict[str, Any], what: str) -> Dict[str, Any]:
    """``values`` without the keys the snapshot columns cannot hold (logged)."""
    values = dict(values)
    errors = codec.drop_unstorable(codec.encode, {what: values})
    if errors:
        logger.warning("rollback snapshot drops values it cannot store: %s", "; ".join(map(str, errors)))
    return values


class RollbackMixin(StorageMixin, RollbackRules):
    """The rollback concern of the Django runtime."""

    # The published signatures of these two carry no annotations.
    def set_node_snapshot(self, root_pipeline_id, node_id, code, version, context_values, inputs, outputs):
        RollbackRules.set_node_snapshot(
            self, root_pipeline_id, node_id, code, version, context_values, inputs, outputs
        )

    def start_rollback(self, root_pipeline_id, node_id):
        RollbackRules.start_rollback(self, root_pipeline_id, node_id)

    def _rollback_storage_ready(self) -> bool:
        return apps.is_installed(APP_NAME)

    def _auto_continue_after_rollback(self) -> bool:
        return bool(settings.PIPELINE_ENABLE_AUTO_EXECUTE_WHEN_ROLL_BACKED)

    # -- tokens and snapshots --------------------------------------------------------------------

    def _store_tokens(self, root_pipeline_id: str, tokens: Dict[str, str]) -> None:
        token_model = _model("RollbackToken")
        with transaction.atomic():
            token_model.objects.filter(root_pipeline_id=root_pipeline_id).update(is_deleted=True)
            token_model.objects.create(root_pipeline_id=root_pipeline_id, token=json.dumps(tokens))

    def _load_tokens(self, root_pipeline_id: str) -> Optional[Dict[str, str]]:
        if not self._rollback_storage_ready():
            return None
        row = (
            _model("RollbackToken")
            .objects.filter(root_pipeline_id=root_pipeline_id, is_deleted=False)
            .order_by("-id")
            .first()
        )
        return json.loads(row.token) if row is not None else None

    def _store_node_snapshot(
        self,
        root_pipeline_id: str,
        node_id: str,
        code: str,
        version: str,
        context_values: Dict[str, Any],
        inputs: Dict[str, Any],
        outputs: Dict[str, Any],
    ) -> None:
        values = {"context_values": context_values, "inputs": inputs, "outputs": outputs}
        for name, value in values.items():
            try:
                codec.encode(value)
            except UnstorableValueError:
                values[name] = _storable(value, name)
        _model("RollbackNodeSnapshot").objects.create(
            root_pipeline_id=root_pipeline_id, node_id=node_id, code=code, version=version, **values
        )

    def _pending_node_snapshots(self, root_pipeline_id: str, node_id: str) -> List[NodeSnapshot]:
        rows = _model("RollbackNodeSnapshot").objects.filter(
            root_pipeline_id=root_pipeline_id, node_id=node_id, rolled_back=False
        )
        return [
            NodeSnapshot(
                id=row.id,
                root_pipeline_id=row.root_pipeline_id,
                node_id=row.node_id,
                code=row.code,
                version=row.version,
                context_values=dict(row.context_values or {}),
                inputs=dict(row.inputs or {}),
                outputs=dict(row.outputs or {}),
            )
            for row in rows.order_by("-id")
        ]

    def _mark_node_snapshot_rolled_back(self, snapshot_id: int) -> None:
        _model("RollbackNodeSnapshot").objects.filter(id=snapshot_id).update(rolled_back=True)

    def _delete_node_snapshots(self, root_pipeline_id: str, node_ids: Iterable[str]) -> None:
        _model("RollbackNodeSnapshot").objects.filter(
            root_pipeline_id=root_pipeline_id, node_id__in=list(node_ids)
        ).delete()

    # -- rollbacks -------------------------------------------------------------------------------

    def _create_rollback_record(
        self,
        root_pipeline_id: str,
        start_node_id: str,
        target_node_id: str,
        graph: Dict[str, List[Any]],
        skip_rollback_nodes: List[str],
        other_nodes: List[str],
        is_expired: bool,
    ) -> int:
        row = _model("RollbackSnapshot").objects.create(
            root_pipeline_id=root_pipeline_id,
            start_node_id=start_node_id,
            target_node_id=target_node_id,
            graph=json.dumps(graph),
            node_access_record=json.dumps({}),
            skip_rollback_nodes=json.dumps(skip_rollback_nodes),
            other_nodes=json.dumps(other_nodes),
            is_expired=is_expired,
        )
        return row.id

    def _load_rollback_record(self, record_id: Any) -> Optional[RollbackRecord]:
        try:
            key = int(record_id)
        except (TypeError, ValueError):
            return None
        row = _model("RollbackSnapshot").objects.filter(id=key).first()
        return _record(row) if row is not None else None

    def _live_rollback_records(self, root_pipeline_id: str) -> List[RollbackRecord]:
        if not self._rollback_storage_ready():
            return []
        rows = _model("RollbackSnapshot").objects.filter(root_pipeline_id=root_pipeline_id, is_expired=False)
        return [_record(row) for row in rows.order_by("id")]

    def _save_rollback_progress(self, record_id: int, node_access_record: Dict[str, int]) -> None:
        _model("RollbackSnapshot").objects.filter(id=record_id).update(
            node_access_record=json.dumps(node_access_record)
        )

    def _expire_rollback_records(self, root_pipeline_id: str) -> None:
        _model("RollbackSnapshot").objects.filter(root_pipeline_id=root_pipeline_id, is_expired=False).update(
            is_expired=True
        )

    # -- reservations ----------------------------------------------------------------------------

    def _create_reservation(
        self,
        root_pipeline_id: str,
        start_node_id: str,
        target_node_id: str,
        mode: str,
        options: Dict[str, Any],
    ) -> int:
        row = _model("RollbackPlan").objects.create(
            root_pipeline_id=root_pipeline_id,
            start_node_id=start_node_id,
            target_node_id=target_node_id,
            mode=mode,
            options=options,
        )
        return row.id

    def _live_reservations(self, root_pipeline_id: str) -> List[Reservation]:
        if not self._rollback_storage_ready():
            return []
        rows = _model("RollbackPlan").objects.filter(root_pipeline_id=root_pipeline_id, is_expired=False)
        return [_reservation(row) for row in rows.order_by("id")]

    def _expire_reservation(self, reservation_id: int) -> bool:
        return bool(
            _model("RollbackPlan").objects.filter(id=reservation_id, is_expired=False).update(is_expired=True)
        )

    # -- engine records --------------------------------------------------------------------------

    def _process_rows(self, root_pipeline_id: str) -> List[ProcessRow]:
        rows = models.Process.objects.filter(root_pipeline_id=root_pipeline_id).order_by("id")
        return [
            ProcessRow(
                id=row.id,
                parent_id=row.parent_id,
                current_node_id=row.current_node_id,
                pipeline_stack=json.loads(row.pipeline_stack),
                asleep=row.asleep,
                dead=row.dead,
                suspended=row.suspended,
                destination_id=row.destination_id,
            )
            for row in rows
        ]

    def _stored_nodes(self, node_ids: Iterable[str]) -> Dict[str, Node]:
        rows = models.Node.objects.filter(node_id__in=list(node_ids)).values_list("node_id", "detail")
        return {node_id: detail_to_node(json.loads(detail)) for node_id, detail in rows}

    def _clear_node_runs(self, node_ids: Iterable[str]) -> None:
        node_ids = list(node_ids)
        with transaction.atomic():
            for model in _RUN_MODELS:
                model.objects.filter(node_id__in=node_ids).delete()
            models.LogEntry.objects.filter(node_id__in=node_ids).delete()
        # The state rows this runtime remembers for set_state are gone.
        self.memo.forget_state()

    def _send_rollback_message(self, kwargs: Dict[str, Any]) -> None:
        transaction.on_commit(lambda: self._publish_or_fail(kwargs))

    def _publish_or_fail(self, kwargs: Dict[str, Any]) -> None:
        try:
            publish(kwargs)
        except Exception as err:
            logger.exception("sending the rollback message %s failed", kwargs)
            self.rollback_message_unsent(kwargs, err)
