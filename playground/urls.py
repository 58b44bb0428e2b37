"""URLs of the playground: the Django admin (the runtime's models are registered there) and the engine
admin console (``/engine_admin/``, docs/engine-admin.md)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("engine_admin/", include("pipeline.contrib.engine_admin.urls")),
]
