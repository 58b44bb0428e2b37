"""Prepare rule: what ``prepare_run_pipeline`` stores, in one unit.

The tree is translated into records by :mod:`bamboo_engine.prepare` (streamed: the runtime may store the
nodes while the rest is still being built); the runtime stores them (:meth:`PrepareRules._store_prepared`),
then the rule adds the root process, on the run's queue with its priority, and the root pipeline's state
RUNNING. A tree or a value that fails to translate leaves nothing stored.
"""

import abc
from typing import Callable, Iterator

from bamboo_engine.eri.models.node import Node
from bamboo_engine.eri.rules.storage import RuleStorage
from bamboo_engine.prepare import PreparedPipeline, stream_pipeline
from bamboo_engine.prepare.gc import cyclic_gc_paused
from bamboo_engine.prepare.route import run_route


class PrepareRules(RuleStorage):
    """``prepare_run_pipeline`` of a runtime that supplies :meth:`_store_prepared` (and the process and
    state rules it calls)."""

    # Provided by ProcessRules and StateRules (annotations only: a definition here would shadow them).
    create_process: Callable[..., int]
    _set_new_root_running: Callable[[str], str]

    @abc.abstractmethod
    def _store_prepared(self, prepared: PreparedPipeline, nodes: Iterator[Node]) -> None:
        """Store every node of ``nodes`` (consuming it completes ``prepared``), then the node data, the
        context values with their references and the context outputs of ``prepared``."""

    @cyclic_gc_paused()
    def prepare_run_pipeline(
        self,
        pipeline: dict,
        root_pipeline_data: dict,
        root_pipeline_context: dict,
        subprocess_context: dict,
        **options,
    ) -> int:
        queue, priority = run_route(options)
        prepared, nodes = stream_pipeline(
            pipeline, root_pipeline_data, root_pipeline_context, subprocess_context
        )
        root_id = prepared.root_pipeline_id
        # Not recoverable: an error here aborts the whole start (the engine's unit), no savepoint needed.
        with self._transaction():
            self._store_prepared(prepared, nodes)
            process_id = self.create_process(root_id, prepared.pipeline_stack, queue=queue, priority=priority)
            self._set_new_root_running(root_id)
        return process_id
