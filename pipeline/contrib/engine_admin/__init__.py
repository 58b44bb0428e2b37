"""``pipeline.contrib.engine_admin``: the operator console and its JSON API.

Include ``pipeline.contrib.engine_admin.urls`` in the project's URLconf. The index page searches a
pipeline by id and shows its node tree with states, processes and errors, with a button for each action
that applies to a node; the buttons call the JSON API, ``POST api/v1/bamboo_engine/<action>/<id>/``.
Actions go through :mod:`pipeline.eri.operations` (checked, audited in ``OperatorAction``). Access:
``PIPELINE_ENGINE_ADMIN_API_PERMISSION`` when set, else active staff users holding the action's
permission (see docs/engine-admin.md).
"""
