"""Django signals about whole runs, sent with ``sender=None``.

* ``post_pipeline_finish(instance_id)``: a root pipeline reached FINISHED;
* ``post_pipeline_revoke(instance_id)``: a root pipeline was REVOKED.

``instance_id`` is the root pipeline id. They are sent by a ``post_set_state`` receiver of
``pipeline.eri`` (connected when the app is ready), after the state change committed.
"""

from django.dispatch import Signal

post_pipeline_finish = Signal()
post_pipeline_revoke = Signal()
