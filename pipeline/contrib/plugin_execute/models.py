"""``PluginExecuteTask``: one run of one plugin outside any pipeline.

The published fields come first. The last three fields are internal bookkeeping of the schedule
rounds: every change a worker makes is a conditional ``UPDATE`` on ``invoke_count``/``state`` (and the
round counters), so a duplicate Celery delivery, or a late result after ``forced_fail``/``retry``,
changes nothing.
"""

from django.db import models

from pipeline.component_framework.constants import LEGACY_PLUGINS_VERSION
from pipeline.contrib.plugin_execute import states
from pipeline.contrib.plugin_execute.fields import JSONTextField

STATE_CHOICES = [(name, name) for name in (states.READY, states.RUNNING, states.FINISHED, states.FAILED)]


class PluginExecuteTask(models.Model):
    """A plugin run: its component, inputs, outputs and where it is in its life cycle."""

    id = models.BigAutoField(primary_key=True)
    state = models.CharField(
        "state", max_length=64, choices=STATE_CHOICES, default=states.READY, help_text="READY/RUNNING/..."
    )
    invoke_count = models.IntegerField(
        "invoke count", default=1, help_text="1 for the first run, +1 for every retry"
    )
    component_code = models.CharField("component code", max_length=255)
    version = models.CharField("component version", max_length=255, default=LEGACY_PLUGINS_VERSION)
    inputs = JSONTextField("inputs", default=dict, help_text="the service's data inputs (JSON)")
    outputs = JSONTextField("outputs", default=dict, help_text="the service's data outputs (JSON)")
    contexts = JSONTextField("contexts", default=dict, help_text="the parent_data inputs (JSON)")
    runtime_attrs = JSONTextField(
        "runtime attributes", default=dict, help_text="extra runtime attributes of the service (JSON)"
    )
    callback_data = JSONTextField("callback data", default=dict, help_text="the last callback's data (JSON)")
    scheduling = models.BooleanField(
        "scheduling", default=False, help_text="execute succeeded and the service is being scheduled"
    )
    created_at = models.DateTimeField("created at", auto_now_add=True)
    finish_at = models.DateTimeField("finished at", null=True, blank=True)
    # Internal: rounds of schedule() that completed in this invoke (POLL rounds or callbacks handled).
    schedule_times = models.IntegerField("schedule rounds done", default=0)
    # Internal: callbacks accepted in this invoke; callback n is handled as schedule round n.
    callbacks_received = models.IntegerField("callbacks received", default=0)
    # Internal: a worker is running schedule() now; the next round waits for it.
    schedule_busy = models.BooleanField("schedule round in progress", default=False)

    class Meta:
        verbose_name = "plugin execute task"
        verbose_name_plural = "plugin execute tasks"
        indexes = [
            models.Index(fields=["state"], name="plugin_exec_state"),
            models.Index(fields=["component_code", "version"], name="plugin_exec_component"),
            models.Index(fields=["created_at"], name="plugin_exec_created_at"),
        ]

    def __str__(self) -> str:
        return f"plugin execute task {self.id} ({self.component_code}/{self.version}): {self.state}"
