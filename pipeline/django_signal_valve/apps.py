"""App config of ``pipeline.django_signal_valve``: an empty stub kept so legacy settings load."""

from django.apps import AppConfig


class DjangoSignalValveConfig(AppConfig):
    name = "pipeline.django_signal_valve"
    label = "django_signal_valve"
    verbose_name = "Legacy signal valve"
    default_auto_field = "django.db.models.BigAutoField"
