"""``pipeline.contrib.rollback``: roll a pipeline back to a node that finished, undoing what ran since.

The api is :mod:`pipeline.contrib.rollback.api`; the rules it applies are ``bamboo_engine.rollback``;
the Django runtime stores rollbacks in this app's models. docs/rollback.md describes the feature.
"""
