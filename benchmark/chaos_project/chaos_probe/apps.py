from django.apps import AppConfig


class ChaosProbeConfig(AppConfig):
    name = "chaos_probe"
    default_auto_field = "django.db.models.AutoField"

    def ready(self) -> None:
        from chaos_probe import probes  # noqa: F401 - connects the recorder, installs the faults asked for
