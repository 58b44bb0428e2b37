"""Persistent records of the Django runtime.

Field names, types and uniqueness are part of the public contract (callers query these tables directly);
indexes are named explicitly so migrations stay stable across Django versions.
"""

from datetime import timedelta

from django.db import models
from django.utils import timezone

from pipeline.eri.operations.catalog import model_permissions

ID_LENGTH = 33  # prefix + uuid4().hex


class Process(models.Model):
    """One line of execution: the root run or a branch forked at a parallel gateway."""

    id = models.BigAutoField(primary_key=True)
    parent_id = models.BigIntegerField("parent process id", default=-1)
    ack_num = models.IntegerField("children that reported finished", default=0)
    need_ack = models.IntegerField("children to wait for", default=-1)
    asleep = models.BooleanField("asleep", default=True)
    suspended = models.BooleanField("suspended", default=False)
    frozen = models.BooleanField("frozen", default=False)
    dead = models.BooleanField("dead", default=False)
    last_heartbeat = models.DateTimeField("last heartbeat", auto_now_add=True)
    destination_id = models.CharField("destination node id", max_length=ID_LENGTH, default="")
    current_node_id = models.CharField("current node id", max_length=ID_LENGTH, default="")
    root_pipeline_id = models.CharField("root pipeline id", max_length=ID_LENGTH)
    suspended_by = models.CharField("suspended by", max_length=ID_LENGTH, default="")
    priority = models.IntegerField("message priority")
    queue = models.CharField("queue suffix", max_length=128, default="")
    pipeline_stack = models.TextField("pipeline stack (JSON list)", default="[]")

    class Meta:
        verbose_name = "process"
        verbose_name_plural = "processes"
        indexes = [
            models.Index(fields=["parent_id"], name="eri_process_parent"),
            models.Index(fields=["last_heartbeat"], name="eri_process_heartbeat"),
            models.Index(fields=["current_node_id"], name="eri_process_current_node"),
            models.Index(fields=["root_pipeline_id"], name="eri_process_root"),
            models.Index(fields=["suspended_by"], name="eri_process_suspended_by"),
        ]

    def __str__(self) -> str:
        return f"process {self.id} of {self.root_pipeline_id} at {self.current_node_id or '-'}"


class Node(models.Model):
    """A node of a prepared pipeline tree, as the JSON the engine turns into an ERI ``Node``."""

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField("node id", max_length=ID_LENGTH)
    detail = models.TextField("node detail (JSON)")
    # Not part of the published fields: lets a worker load every node of a run in one query.
    root_pipeline_id = models.CharField(
        "root pipeline id", max_length=ID_LENGTH, default="", help_text="root pipeline of the run"
    )

    class Meta:
        verbose_name = "node"
        verbose_name_plural = "nodes"
        indexes = [
            models.Index(fields=["node_id"], name="eri_node_node_id"),
            models.Index(fields=["root_pipeline_id"], name="eri_node_root"),
        ]

    def __str__(self) -> str:
        return self.node_id


class State(models.Model):
    """The execution state of a node, subprocess or root pipeline."""

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField("node id", max_length=ID_LENGTH, unique=True)
    root_id = models.CharField("root pipeline id", max_length=ID_LENGTH, default="")
    parent_id = models.CharField("parent pipeline id", max_length=ID_LENGTH, default="")
    name = models.CharField("state name", max_length=64)
    version = models.CharField("state version", max_length=ID_LENGTH)
    loop = models.IntegerField("loop", default=1)
    inner_loop = models.IntegerField("inner loop", default=1)
    retry = models.IntegerField("retry count", default=0)
    skip = models.BooleanField("skipped", default=False)
    error_ignored = models.BooleanField("error ignored", default=False)
    created_time = models.DateTimeField("created time", auto_now_add=True)
    started_time = models.DateTimeField("started time", null=True)
    archived_time = models.DateTimeField("archived time", null=True)

    class Meta:
        verbose_name = "state"
        verbose_name_plural = "states"
        indexes = [
            models.Index(fields=["root_id"], name="eri_state_root"),
            models.Index(fields=["parent_id"], name="eri_state_parent"),
        ]

    def __str__(self) -> str:
        return f"{self.node_id}: {self.name}"


class Schedule(models.Model):
    """A node waiting for polls or callbacks; ``scheduling`` is the lock one schedule run holds."""

    id = models.BigAutoField(primary_key=True)
    type = models.IntegerField("schedule type")
    process_id = models.BigIntegerField("process id", default=-1)
    node_id = models.CharField("node id", max_length=ID_LENGTH)
    finished = models.BooleanField("finished", default=False)
    expired = models.BooleanField("expired", default=False)
    scheduling = models.BooleanField("locked by a running schedule", default=False)
    version = models.CharField("node state version", max_length=ID_LENGTH)
    schedule_times = models.IntegerField("times scheduled", default=0)

    class Meta:
        verbose_name = "schedule"
        verbose_name_plural = "schedules"
        unique_together = [("node_id", "version")]

    def __str__(self) -> str:
        return f"schedule {self.id} of {self.node_id}"


class Data(models.Model):
    """A node's raw inputs (templates not yet rendered) and its output mapping."""

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField("node id", max_length=ID_LENGTH, unique=True)
    inputs = models.TextField("inputs")
    outputs = models.TextField("outputs mapping")

    class Meta:
        verbose_name = "node data"
        verbose_name_plural = "node data"


class ExecutionData(models.Model):
    """What a node's service saw (rendered inputs) and produced (outputs) in its latest run."""

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField("node id", max_length=ID_LENGTH, unique=True)
    inputs_serializer = models.CharField("inputs serializer", max_length=32)
    outputs_serializer = models.CharField("outputs serializer", max_length=32)
    inputs = models.TextField("inputs")
    outputs = models.TextField("outputs")

    class Meta:
        verbose_name = "execution data"
        verbose_name_plural = "execution data"


class CallbackData(models.Model):
    """The payload of one callback, referenced by id from the schedule message."""

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField("node id", max_length=ID_LENGTH)
    version = models.CharField("node state version", max_length=ID_LENGTH)
    data = models.TextField("data (JSON)")
    serializer = models.CharField(
        "serializer",
        max_length=32,
        default="json",
        help_text="how data is encoded: json, tagged_json (datetimes, Decimals, sets...) or pickle",
    )

    class Meta:
        verbose_name = "callback data"
        verbose_name_plural = "callback data"


class ContextValue(models.Model):
    """A variable of one (sub)pipeline's context."""

    id = models.BigAutoField(primary_key=True)
    pipeline_id = models.CharField("pipeline id", max_length=ID_LENGTH)
    key = models.CharField("key", max_length=128)
    type = models.IntegerField("value type")
    serializer = models.CharField("serializer", max_length=32)
    code = models.CharField("compute variable code", max_length=128, default="")
    value = models.TextField("value")
    references = models.TextField("references (JSON list)")

    class Meta:
        verbose_name = "context value"
        verbose_name_plural = "context values"
        unique_together = [("pipeline_id", "key")]


class ContextOutputs(models.Model):
    """The context keys a (sub)pipeline exports when it ends."""

    id = models.BigAutoField(primary_key=True)
    pipeline_id = models.CharField("pipeline id", max_length=ID_LENGTH, unique=True)
    outputs = models.TextField("outputs (JSON list)")

    class Meta:
        verbose_name = "context outputs"
        verbose_name_plural = "context outputs"


class ExecutionHistory(models.Model):
    """One finished earlier run of a node (kept when it is retried, skipped or re-entered)."""

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField("node id", max_length=ID_LENGTH)
    loop = models.IntegerField("loop", default=1)
    retry = models.IntegerField("retry", default=0)
    skip = models.BooleanField("skipped", default=False)
    version = models.CharField("state version", max_length=ID_LENGTH)
    started_time = models.DateTimeField("started time")
    archived_time = models.DateTimeField("archived time")
    inputs_serializer = models.CharField("inputs serializer", max_length=32)
    outputs_serializer = models.CharField("outputs serializer", max_length=32)
    inputs = models.TextField("inputs")
    outputs = models.TextField("outputs")

    class Meta:
        verbose_name = "execution history"
        verbose_name_plural = "execution histories"
        indexes = [models.Index(fields=["node_id", "loop"], name="eri_history_node_loop")]


class LogEntryManager(models.Manager):
    """Manager of :class:`LogEntry`."""

    def delete_expired_log(self, interval):
        """Delete entries logged more than ``interval`` days ago; returns how many were deleted."""
        expired = timezone.now() - timedelta(days=interval)
        deleted, _ = self.filter(logged_at__lt=expired).delete()
        return deleted


class LogEntry(models.Model):
    """A log line written by a service while a node ran."""

    id = models.BigAutoField(primary_key=True)
    node_id = models.CharField("node id", max_length=ID_LENGTH)
    version = models.CharField("state version", max_length=ID_LENGTH, default="")
    loop = models.IntegerField("loop", default=1)
    logger_name = models.CharField("logger name", max_length=128)
    level_name = models.CharField("level", max_length=32)
    message = models.TextField("message", null=True)
    logged_at = models.DateTimeField("logged at", auto_now_add=True)

    objects = LogEntryManager()

    class Meta:
        verbose_name = "log entry"
        verbose_name_plural = "log entries"
        indexes = [
            models.Index(fields=["node_id", "loop"], name="eri_log_node_loop"),
            models.Index(fields=["logged_at"], name="eri_log_logged_at"),
        ]


class DeliveryClaim(models.Model):
    """One delivered execute/schedule message: a lease on running it, then a record that it ran.

    Every message carries a unique token in its headers; the consumer inserts the token here before it
    runs the engine (with a lease kept alive while it runs) and marks it ``done`` when the task body
    returns. A later delivery of a done token is dropped; one whose lease ran out (the worker died) takes
    the message over (see docs/delivery.md).
    """

    id = models.BigAutoField(primary_key=True)
    token = models.CharField("message token", max_length=64, unique=True)
    claimed_at = models.DateTimeField("claimed at", auto_now_add=True)
    owner = models.CharField("claimed by (host:pid)", max_length=128, default="")
    lease_until = models.DateTimeField("lease ends at", null=True)
    done = models.BooleanField("task body returned", default=False)
    # What to send again when the claimant died and no redelivery came (``pipeline.eri.celery.sweep``):
    # ``{"task": ..., "kwargs": ...}`` as JSON.
    message = models.TextField("message (JSON)", default="")
    resent_at = models.DateTimeField("message re-sent by the claim sweep at", null=True)

    class Meta:
        verbose_name = "delivery claim"
        verbose_name_plural = "delivery claims"
        indexes = [
            models.Index(fields=["claimed_at"], name="eri_claim_claimed_at"),
            # Done claims have no lease (NULL): the sweep for abandoned claims reads only open ones.
            models.Index(fields=["lease_until"], name="eri_claim_lease_until"),
        ]

    def __str__(self) -> str:
        return self.token


class HealingRecord(models.Model):
    """What the stuck-pipeline healer found and did (``pipeline.eri.healing``): the audit trail.

    One row per confirmed stuck process and decision (re-dispatched, only reported, held back by the
    per-pipeline rate limit or by the per-pass circuit breaker). Rows are never updated.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField("recorded at", default=timezone.now)
    root_pipeline_id = models.CharField("root pipeline id", max_length=ID_LENGTH, default="")
    process_id = models.BigIntegerField("process id", default=-1)
    node_id = models.CharField("node id", max_length=ID_LENGTH, default="")
    reason = models.CharField("why the process is stuck", max_length=64)
    action = models.CharField("what the healer did", max_length=32)
    fingerprint = models.CharField("process fingerprint", max_length=64, default="")
    detail = models.TextField("detail (JSON)", default="{}")

    class Meta:
        verbose_name = "healing record"
        verbose_name_plural = "healing records"
        indexes = [
            models.Index(fields=["root_pipeline_id", "created_at"], name="eri_healing_root_time"),
            models.Index(fields=["process_id", "created_at"], name="eri_healing_process_time"),
            models.Index(fields=["created_at"], name="eri_healing_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.reason} of {self.root_pipeline_id} (process {self.process_id})"


class HealingWatch(models.Model):
    """A process the healer is watching: how it looked and since when it has looked like that.

    "Makes no progress" is judged by the same fingerprint staying unchanged across healer passes for a
    quiet period; one row per watched process, updated in place, deleted once the process is fine.
    """

    id = models.BigAutoField(primary_key=True)
    process_id = models.BigIntegerField("process id", unique=True)
    fingerprint = models.CharField("process fingerprint", max_length=64)
    since = models.DateTimeField("unchanged since", default=timezone.now)

    class Meta:
        verbose_name = "healing watch"
        verbose_name_plural = "healing watches"

    def __str__(self) -> str:
        return f"process {self.process_id} unchanged since {self.since}"


class OutboxMessage(models.Model):
    """A message the runtime sends, kept from the transaction that needs it until the broker confirmed it.

    The row is written in the same transaction as the state change the message belongs to, published
    right after the commit, and deleted once the broker confirmed it. A row still here after
    ``publish_after`` (the publishing process died, or the broker was away) is published again by a
    relay (``pipeline.eri.outbox``); the message keeps its ``delivery_token`` header, so a copy that
    reaches a worker twice is recognised as one delivery.
    """

    id = models.CharField("row id", max_length=32, primary_key=True)
    task_name = models.CharField("task name", max_length=128)
    body = models.TextField("kwargs and options (JSON)")
    created_at = models.DateTimeField("stored at", default=timezone.now)
    due_at = models.DateTimeField("due at (stored at + countdown)", default=timezone.now)
    publish_after = models.DateTimeField("a relay may publish it after", default=timezone.now)
    relay = models.CharField("claimed by relay batch", max_length=32, default="")
    attempts = models.IntegerField("relay attempts", default=0)

    class Meta:
        verbose_name = "outbox message"
        verbose_name_plural = "outbox messages"
        indexes = [models.Index(fields=["publish_after"], name="eri_outbox_publish_after")]

    def __str__(self) -> str:
        return f"{self.task_name} {self.id}"


class MaintenanceLease(models.Model):
    """Which worker process runs a periodic maintenance job (e.g. the healing pass) until when.

    One row per job; a worker takes it with a conditional UPDATE when the lease ran out, so one worker
    at a time runs the job however many workers try.
    """

    name = models.CharField("job", max_length=64, primary_key=True)
    holder = models.CharField("held by (host:pid)", max_length=128, default="")
    until = models.DateTimeField("held until", default=timezone.now)

    class Meta:
        verbose_name = "maintenance lease"
        verbose_name_plural = "maintenance leases"

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.until}"


class OperatorAction(models.Model):
    """One operator action (pause, retry, skip, callback, re-dispatch, ...): who asked for what, and how
    it ended. The audit trail of the engine_admin console and of the admin's repair buttons.

    The row is written before the action runs (``succeeded`` empty) and completed once with its outcome,
    so an action cut short by a crash still shows who started it. The model's permissions are the
    actions' permissions (``eri.task_pause``, ``eri.node_retry``, ...), checked by both front ends.
    """

    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField("requested at", default=timezone.now)
    finished_at = models.DateTimeField("finished at", null=True, blank=True)
    operator = models.CharField("operator", max_length=150, default="", help_text="user name")
    source = models.CharField("from", max_length=32, help_text="console, admin or code")
    action = models.CharField("action", max_length=64)
    target_id = models.CharField(
        "target id", max_length=64, help_text="the pipeline, node or process id the action applies to"
    )
    root_pipeline_id = models.CharField("root pipeline id", max_length=ID_LENGTH, default="")
    params = models.TextField("parameters (JSON)", default="{}")
    succeeded = models.BooleanField("succeeded", null=True, help_text="empty while the action runs")
    message = models.TextField("message", default="")

    class Meta:
        verbose_name = "operator action"
        verbose_name_plural = "operator actions"
        permissions = model_permissions()
        indexes = [
            models.Index(fields=["root_pipeline_id", "created_at"], name="eri_opaction_root_time"),
            models.Index(fields=["target_id", "created_at"], name="eri_opaction_target_time"),
            models.Index(fields=["created_at"], name="eri_opaction_created"),
        ]

    def __str__(self) -> str:
        outcome = {True: "succeeded", False: "failed", None: "running"}[self.succeeded]
        return f"{self.action} {self.target_id} by {self.operator or '-'}: {outcome}"
