"""Stuck-pipeline healing: find root pipelines that are RUNNING but make no progress, and resume them.

A message that is lost (a worker killed between two statements, a broker that dropped it) leaves a run
waiting for something that will never come. The healer looks at the rows the engine keeps (process
``current_node_id``/``asleep``/``last_heartbeat``, node states and versions, schedule rows, children),
decides what the run is waiting for (:mod:`~pipeline.eri.healing.rules`), confirms that nothing changed
for a quiet period (:mod:`~pipeline.eri.healing.watch`), and re-sends the missing ``execute`` or
``schedule`` message through the runtime (:mod:`~pipeline.eri.healing.redispatch`), with a per-pipeline
rate limit, a per-pass circuit breaker and an audit record (:mod:`~pipeline.eri.healing.healer`).
See docs/healing.md.
"""
