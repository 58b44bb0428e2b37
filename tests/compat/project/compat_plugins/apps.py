from django.apps import AppConfig


class CompatPluginsConfig(AppConfig):
    name = "compat_plugins"
    verbose_name = "Compat project plugins"

    def ready(self):
        from compat_plugins import recorders
        from pipeline.eri import codec

        recorders.connect()
        # Upstream's hooks for the JSON of node data: module attributes set once at start-up.
        codec.DATA_JSON_ENCODER_PATH = "compat_plugins.codec.MoneyEncoder"
        codec.DATA_JSON_OBJECT_HOOK_PATH = "compat_plugins.codec.money_object_hook"
