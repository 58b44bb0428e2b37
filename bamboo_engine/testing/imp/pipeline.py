"""``prepare_run_pipeline`` (the shared prepare rule) and ``node_rerun_limit``: storing a run's records."""

from typing import Any, Dict, Iterator

from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.rules.node import node_to_detail
from bamboo_engine.eri.rules.prepare import PrepareRules
from bamboo_engine.prepare import PreparedPipeline
from bamboo_engine.testing.imp.base import StoreBacked


class PipelineMixin(StoreBacked, PrepareRules):
    rerun_limit: int

    def _store_prepared(self, prepared: PreparedPipeline, nodes: Iterator[Node]) -> None:
        # Everything is built before anything is stored: a tree or a value that fails leaves no record.
        details = {node.id: node_to_detail(node) for node in nodes}
        rows: Dict[str, Dict[str, Any]] = {}
        for pipeline_id, values in prepared.context_values.items():
            rows[pipeline_id] = {
                key: self._context_row(item.value, item.references)  # type: ignore[attr-defined]
                for key, item in values.items()
            }
        with self._store.lock:
            self._store.nodes.update(details)
            self._store.data.update(prepared.data)
            for pipeline_id, outputs in prepared.context_outputs.items():
                self._store.context_outputs[pipeline_id] = list(outputs)
            for pipeline_id, pipeline_rows in rows.items():
                self._write_context_rows(pipeline_id, pipeline_rows)  # type: ignore[attr-defined]

    def node_rerun_limit(self, root_pipeline_id: str, node_id: str) -> int:
        return self.rerun_limit
