"""Empty stub of the legacy ``pipeline.django_signal_valve`` app.

The runtime sends its Django signals directly (``pipeline.eri.signals``); the app exists only so that
settings files listing ``"pipeline.django_signal_valve"`` in ``INSTALLED_APPS`` keep loading.
"""
