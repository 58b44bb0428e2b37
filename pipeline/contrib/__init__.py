"""Optional contrib apps of the Django runtime.

Each sub-package is a Django app named and labelled as upstream names it, except the plain packages
``mock`` (an api over the runtime) and ``celery_tools`` (a Celery decorator), which have no models.
"""
