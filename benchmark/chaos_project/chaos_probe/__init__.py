"""The chaos suite's probes: a component that records its ``execute`` calls and a FINISHED recorder.

Installed as a Django app by the chaos project, imported through ``BAMBOO_CELERY_IMPORTS`` by the
playground's workers. See :mod:`chaos_probe.probes`.
"""
