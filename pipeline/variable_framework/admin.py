"""Admin registration of ``VariableModel``."""

from django.contrib import admin

from pipeline.variable_framework.models import VariableModel


@admin.register(VariableModel)
class VariableModelAdmin(admin.ModelAdmin):
    list_display = ("id", "code", "name", "type", "status")
    list_filter = ("status",)
    search_fields = ("code",)
