"""Admin registration of ``ComponentModel``."""

from django.contrib import admin

from pipeline.component_framework.models import ComponentModel


@admin.register(ComponentModel)
class ComponentModelAdmin(admin.ModelAdmin):
    list_display = ("id", "code", "version", "name", "is_default_version", "status")
    list_filter = ("status", "is_default_version")
    search_fields = ("code", "name")
