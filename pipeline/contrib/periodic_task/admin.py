"""Admin pages of ``pipeline.contrib.periodic_task``: enable or disable tasks, read their start history.

Rows are read-only here (a task is created through ``pipeline.contrib.periodic_task.api``, its tree is a
snapshot); the actions "enable" and "disable" switch the beat schedule and need the change permission.
"""

from django.contrib import admin, messages

from pipeline.contrib.periodic_task import models


class _ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PeriodicTaskHistoryInline(_ReadOnly, admin.TabularInline):
    model = models.PeriodicTaskHistory
    fields = ["start_at", "start_success", "root_pipeline_id", "queue", "priority", "ex_data"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    ordering = ["-id"]
    show_change_link = True

    def get_queryset(self, request):
        # The latest starts only: a task that ran every minute for a year has half a million rows.
        recent = super().get_queryset(request).order_by("-id").values_list("id", flat=True)[:50]
        return super().get_queryset(request).filter(id__in=list(recent))


@admin.register(models.PeriodicTask)
class PeriodicTaskAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = [
        "id",
        "name",
        "enabled",
        "cron",
        "queue",
        "priority",
        "total_run_count",
        "last_run_at",
        "creator",
    ]
    list_filter = ["celery_task__enabled", "queue"]
    search_fields = ["name", "creator"]
    readonly_fields = [
        "name",
        "enabled",
        "cron",
        "queue",
        "priority",
        "total_run_count",
        "last_run_at",
        "creator",
        "created_at",
        "celery_task",
        "root_pipeline_data",
        "extra_info",
        "pipeline_tree",
    ]
    fields = readonly_fields
    inlines = [PeriodicTaskHistoryInline]
    actions = ["enable_tasks", "disable_tasks"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("celery_task")

    @admin.display(boolean=True, description="enabled")
    def enabled(self, obj):
        return obj.enabled

    def _set_enabled(self, request, queryset, enabled: bool) -> None:
        changed = 0
        for task in queryset.select_related("celery_task"):
            if task.celery_task is not None and task.enabled != enabled:
                task.set_enabled(enabled)
                changed += 1
        word = "enabled" if enabled else "disabled"
        self.message_user(request, f"{changed} periodic task(s) {word}", messages.SUCCESS)

    @admin.action(description="Enable the selected periodic tasks", permissions=["change"])
    def enable_tasks(self, request, queryset):
        self._set_enabled(request, queryset, True)

    @admin.action(description="Disable the selected periodic tasks", permissions=["change"])
    def disable_tasks(self, request, queryset):
        self._set_enabled(request, queryset, False)


@admin.register(models.PeriodicTaskHistory)
class PeriodicTaskHistoryAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ["id", "periodic_task", "start_at", "start_success", "root_pipeline_id", "queue"]
    list_filter = ["start_success"]
    search_fields = ["root_pipeline_id__exact", "periodic_task__name"]
    fields = [
        "periodic_task",
        "start_at",
        "start_success",
        "root_pipeline_id",
        "queue",
        "priority",
        "ex_data",
    ]
    readonly_fields = fields
    list_select_related = ["periodic_task"]
