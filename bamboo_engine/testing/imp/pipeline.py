"""``prepare_run_pipeline`` and ``node_rerun_limit``: storing a run's records and its root process."""

from bamboo_engine import states
from bamboo_engine.eri.models.runtime import ContextValue
from bamboo_engine.prepare import PreparedPipeline, prepare_pipeline
from bamboo_engine.prepare.route import run_route
from bamboo_engine.testing.imp.base import StoreBacked


class PipelineMixin(StoreBacked):
    rerun_limit: int

    def prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ) -> int:
        queue, priority = run_route(options)
        prepared = prepare_pipeline(pipeline, root_pipeline_data, root_pipeline_context, subprocess_context)
        with self._store.lock:
            self._store_prepared(prepared)
            process_id = self.create_process(  # type: ignore[attr-defined]
                prepared.root_pipeline_id,
                prepared.pipeline_stack,
                queue=queue,
                priority=priority,
            )
            self.set_state(  # type: ignore[attr-defined]
                prepared.root_pipeline_id,
                states.RUNNING,
                root_id=prepared.root_pipeline_id,
                parent_id="",
                set_started_time=True,
            )
        return process_id

    def _store_prepared(self, prepared: PreparedPipeline) -> None:
        self._store.nodes.update(prepared.nodes)
        self._store.data.update(prepared.data)
        for pipeline_id, outputs in prepared.context_outputs.items():
            self._store.context_outputs[pipeline_id] = list(outputs)
        for values in prepared.context_values.values():
            for item in values.values():
                cv: ContextValue = item.value
                self.save_context_value(item.pipeline_id, cv, item.references)  # type: ignore[attr-defined]

    def node_rerun_limit(self, root_pipeline_id: str, node_id: str) -> int:
        return self.rerun_limit
