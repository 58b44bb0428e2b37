"""RollbackMixin: tokens and node snapshots are kept in memory so tests can inspect them."""

from bamboo_engine.testing.imp.base import StoreBacked


class RollbackMixin(StoreBacked):
    def set_pipeline_token(self, pipeline_tree: dict):
        from bamboo_engine.builder.builder import generate_pipeline_token

        tokens = generate_pipeline_token(pipeline_tree)
        with self._store.lock:
            self._store.pipeline_tokens.update(tokens)

    def set_node_snapshot(
        self,
        root_pipeline_id: str,
        node_id: str,
        code: str,
        version: str,
        context_values: dict,
        inputs: dict,
        outputs: dict,
    ):
        snapshot = {
            "root_pipeline_id": root_pipeline_id,
            "node_id": node_id,
            "code": code,
            "version": version,
            "context_values": self._serialize(context_values),
            "inputs": self._serialize(inputs),
            "outputs": self._serialize(outputs),
        }
        with self._store.lock:
            self._store.node_snapshots.append(snapshot)

    def start_rollback(self, root_pipeline_id: str, node_id: str):
        # The in-memory runtime has no rollback worker: the request is recorded for assertions.
        with self._store.lock:
            self._store.rollback_requests.append((root_pipeline_id, node_id))
