"""ExecutionHistoryMixin: archived runs of a node (inputs/outputs stored with their serializer)."""

import datetime
from typing import List

from bamboo_engine.eri.models.runtime import ExecutionHistory, ExecutionShortHistory
from pipeline.eri.models import ExecutionHistory as HistoryModel

_SHORT_FIELDS = ("id", "node_id", "started_time", "archived_time", "loop", "skip", "retry", "version")


def _histories(node_id: str, loop: int):
    rows = HistoryModel.objects.filter(node_id=node_id)
    if loop != -1:
        rows = rows.filter(loop=loop)
    return rows.order_by("id")


class ExecutionHistoryMixin:
    """Archive and read past executions."""

    def add_history(
        self,
        node_id: str,
        started_time: datetime.datetime,
        archived_time: datetime.datetime,
        loop: int,
        skip: bool,
        retry: int,
        version: str,
        inputs: dict,
        outputs: dict,
    ) -> int:
        inputs_text, inputs_serializer = self._serialize(dict(inputs))  # type: ignore[attr-defined]
        outputs_text, outputs_serializer = self._serialize(dict(outputs))  # type: ignore[attr-defined]
        return HistoryModel.objects.create(
            node_id=node_id,
            started_time=started_time,
            archived_time=archived_time,
            loop=loop,
            skip=skip,
            retry=retry,
            version=version,
            inputs=inputs_text,
            inputs_serializer=inputs_serializer,
            outputs=outputs_text,
            outputs_serializer=outputs_serializer,
        ).id

    def get_histories(self, node_id: str, loop: int = -1) -> List[ExecutionHistory]:
        fields = (*_SHORT_FIELDS, "inputs", "inputs_serializer", "outputs", "outputs_serializer")
        histories = []
        for row in _histories(node_id, loop).values_list(*fields):
            short = dict(zip(_SHORT_FIELDS, row, strict=False))
            inputs, inputs_serializer, outputs, outputs_serializer = row[len(_SHORT_FIELDS) :]
            histories.append(
                ExecutionHistory(
                    **short,
                    inputs=self._deserialize(inputs, inputs_serializer),  # type: ignore[attr-defined]
                    outputs=self._deserialize(outputs, outputs_serializer),  # type: ignore[attr-defined]
                )
            )
        return histories

    def get_short_histories(self, node_id: str, loop: int = -1) -> List[ExecutionShortHistory]:
        return [ExecutionShortHistory(*row) for row in _histories(node_id, loop).values_list(*_SHORT_FIELDS)]
