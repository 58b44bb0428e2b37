"""URLconf of the admin tests: the admin site and the engine admin console."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("engine_admin/", include("pipeline.contrib.engine_admin.urls")),
]
