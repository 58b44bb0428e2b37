"""Admin pages of ``pipeline.contrib.node_timeout`` (read-mostly: configs, records, armed timeouts)."""

from django.contrib import admin

from pipeline.contrib.node_timeout import models


@admin.register(models.TimeoutNodeConfig)
class TimeoutNodeConfigAdmin(admin.ModelAdmin):
    list_display = ["root_pipeline_id", "node_id", "action", "timeout"]
    search_fields = ["root_pipeline_id__exact", "node_id__exact"]


@admin.register(models.TimeoutNodesRecord)
class TimeoutNodesRecordAdmin(admin.ModelAdmin):
    list_display = ["id", "timeout_nodes"]


@admin.register(models.TimeoutDeadline)
class TimeoutDeadlineAdmin(admin.ModelAdmin):
    list_display = ["member", "node_id", "due", "claimed_until"]
    search_fields = ["node_id__exact"]


@admin.register(models.TimeoutFiring)
class TimeoutFiringAdmin(admin.ModelAdmin):
    list_display = ["member", "due", "fired_at"]
    search_fields = ["member"]
