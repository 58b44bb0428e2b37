"""Plugin authoring API of the Django side: services, IO items, data objects, variables, end events.

The pure-Python implementations live in :mod:`bamboo_engine.plugin`; these modules publish them under
the import paths plugin authors use (``pipeline.core.flow``, ``pipeline.core.data``) and add the
Django-side registries (variables, end-event node types) and signals.
"""
