"""Deadlines of running nodes: the machinery shared by ``node_timeout`` and ``node_timer_event``.

Not a Django app: the two contrib apps build on it. A *deadline* is a member string (which node, which
run of it, which timer) and a due time in epoch seconds. The pieces:

* :mod:`.pool`: where armed deadlines wait (:class:`~.pool.DeadlinePool`; in memory here, in a Redis
  sorted set in :mod:`.redis_pool`, in a database table in :mod:`.database`). A scanner *claims* due
  deadlines (atomically, with a lease), dispatches them, then *releases* them: a deadline leaves the
  pool only after its action was dispatched, and a claim whose scanner died is taken again once its
  lease ran out.
* :mod:`.ledger`: one record per firing, written in the transaction that runs the action, so a
  deadline dispatched twice (two scanners, a scanner killed after dispatching) acts once.
* :mod:`.scanner`: the pass and the long-running loop of ``start_node_timeout_process`` /
  ``start_node_timer_event_process`` and of the beat tasks.
* :mod:`.config_cache`: per-process memo of a root pipeline's node configs, so that a state change of
  a node without a config costs no query.

:mod:`.pool`, :mod:`.ledger`, :mod:`.scanner` and :mod:`.config_cache` are plain Python (they run with
the in-memory runtime in unit tests); :mod:`.redis_pool` and :mod:`.database` hold the storage.
"""
