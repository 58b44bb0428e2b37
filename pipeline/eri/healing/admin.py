"""Read-only admin of the healer's audit records and of the processes it is watching.

*Healing records* is the list of stuck pipelines: filter by reason or action, search a root pipeline id,
and follow the links to the pipeline's states and processes. *Healing watches* shows the processes
with an old heartbeat the healer is currently looking at and since when each has not changed.
"""

from django.contrib import admin
from django.utils.safestring import SafeString

from pipeline.eri import models
from pipeline.eri.admin_helpers import ReadOnlyAdmin, field_names, links, pretty_json


@admin.register(models.HealingRecord)
class HealingRecordAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "action", "reason", "root_pipeline_id", "process_id", "node_id")
    list_filter = ("action", "reason", "created_at")
    search_fields = ("=root_pipeline_id", "=node_id", "=process_id")
    fields = field_names(models.HealingRecord, exclude=["detail"]) + ("pretty_detail", "related")
    readonly_fields = ("pretty_detail", "related")

    @admin.display(description="detail")
    def pretty_detail(self, obj: models.HealingRecord) -> SafeString:
        return pretty_json(obj.detail)

    @admin.display(description="related")
    def related(self, obj: models.HealingRecord) -> SafeString:
        return links(
            ("pipeline states", "state", {"root_id": obj.root_pipeline_id}),
            ("processes of the pipeline", "process", {"root_pipeline_id": obj.root_pipeline_id}),
            ("node state", "state", {"node_id": obj.node_id}),
            ("healing records of the pipeline", "healingrecord", {"root_pipeline_id": obj.root_pipeline_id}),
        )


@admin.register(models.HealingWatch)
class HealingWatchAdmin(ReadOnlyAdmin):
    list_display = ("process_id", "since", "fingerprint")
    search_fields = ("=process_id",)
    ordering = ("since",)
    fields = field_names(models.HealingWatch) + ("related",)
    readonly_fields = ("related",)

    @admin.display(description="related")
    def related(self, obj: models.HealingWatch) -> SafeString:
        return links(("process", "process", {"id": obj.process_id}))
