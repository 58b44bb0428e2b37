"""Admin pages of ``pipeline.contrib.node_timer_event`` (configs, records, armed timers, firings)."""

from django.contrib import admin

from pipeline.contrib.node_timer_event import models


@admin.register(models.NodeTimerEventConfig)
class NodeTimerEventConfigAdmin(admin.ModelAdmin):
    list_display = ["root_pipeline_id", "node_id", "events"]
    search_fields = ["root_pipeline_id__exact", "node_id__exact"]


@admin.register(models.ExpiredNodesRecord)
class ExpiredNodesRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "nodes"]


@admin.register(models.TimerEventDeadline)
class TimerEventDeadlineAdmin(admin.ModelAdmin):
    list_display = ["member", "node_id", "due", "claimed_until"]
    search_fields = ["node_id__exact"]


@admin.register(models.TimerEventFiring)
class TimerEventFiringAdmin(admin.ModelAdmin):
    list_display = ["member", "due", "fired_at"]
    search_fields = ["member"]
