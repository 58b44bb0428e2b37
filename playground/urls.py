"""URLs of the playground: the Django admin (the runtime's models are registered there)."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
