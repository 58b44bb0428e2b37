"""Operator actions: one layer that validates, audits and applies every repair an operator can ask for.

The engine_admin console and its JSON API (``pipeline.contrib.engine_admin``) and the repair buttons of
the Django admin (``pipeline.eri.admin``) both call :func:`pipeline.eri.operations.actions.perform`; it
checks the request, writes an :class:`~pipeline.eri.models.OperatorAction` audit row, calls
:mod:`bamboo_engine.api` (or the healer) with a ``BambooDjangoRuntime`` and completes the row with the
outcome. :mod:`~pipeline.eri.operations.catalog` names the actions and their permissions.

The package itself imports nothing: ``pipeline.eri.models`` reads the catalog while the models load.
"""
