"""The rollback records of ``pipeline.contrib.rollback`` (the names and fields upstream's app has).

Written and read by the Django runtime's rollback storage (``pipeline/eri/imp/rollback.py``) under the
shared rollback rules (``bamboo_engine.rollback``); JSON documents sit in text columns.
"""

from django.db import models

from pipeline.contrib.fields import SerializerField
from pipeline.contrib.rollback.constants import TOKEN


class RollbackToken(models.Model):
    """The token of each node of a run, stored when the run starts with rollback on."""

    root_pipeline_id = models.CharField("root pipeline id", max_length=64, db_index=True)
    token = models.TextField("token map", help_text="JSON object {node_id: token}")
    is_deleted = models.BooleanField("is deleted", default=False, db_index=True, help_text="is deleted")

    class Meta:
        verbose_name = "rollback token"
        verbose_name_plural = "rollback tokens"


class RollbackSnapshot(models.Model):
    """One rollback: the graph it walks and how far it got."""

    root_pipeline_id = models.CharField("root pipeline id", max_length=64, db_index=True)
    graph = models.TextField("rollback graph", help_text='JSON {"nodes": [...], "flows": [[source, target]]}')
    node_access_record = models.TextField("node access record", help_text="JSON {node_id: 1} of nodes done")
    skip_rollback_nodes = models.TextField("skip rollback nodes", help_text="JSON list of node ids")
    other_nodes = models.TextField("other nodes", help_text="JSON list of the nodes cleared without rollback")
    start_node_id = models.CharField("start node id", max_length=64, db_index=True)
    target_node_id = models.CharField("target node id", max_length=64, db_index=True)
    is_expired = models.BooleanField("is expired", default=False, db_index=True)

    class Meta:
        verbose_name = "rollback snapshot"
        verbose_name_plural = "rollback snapshots"


class RollbackNodeSnapshot(models.Model):
    """What an activity ran with, taken when it finished: the data its rollback gets."""

    root_pipeline_id = models.CharField("root pipeline id", max_length=64, db_index=True)
    node_id = models.CharField("node id", max_length=64, db_index=True)
    code = models.CharField("node code", max_length=64)
    version = models.CharField("version", max_length=33)
    inputs = SerializerField("node inputs")
    outputs = SerializerField("node outputs")
    context_values = SerializerField("pipeline context values", help_text="the root pipeline's inputs")
    rolled_back = models.BooleanField("whether the node rolls back", default=False)

    class Meta:
        verbose_name = "rollback node snapshot"
        verbose_name_plural = "rollback node snapshots"


class RollbackPlan(models.Model):
    """A reserved rollback: it starts when ``start_node_id`` finishes."""

    root_pipeline_id = models.CharField("root pipeline id", max_length=64, db_index=True)
    start_node_id = models.CharField("start node id", max_length=64, db_index=True)
    target_node_id = models.CharField("target node id", max_length=64, db_index=True)
    mode = models.CharField("rollback mode", max_length=32, default=TOKEN)
    options = SerializerField("rollback options", default=dict)
    is_expired = models.BooleanField("is expired", default=False)

    class Meta:
        verbose_name = "rollback plan"
        verbose_name_plural = "rollback plans"
