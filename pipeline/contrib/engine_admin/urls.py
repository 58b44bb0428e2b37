"""URLs of the console: include them under any prefix, e.g.
``path("engine_admin/", include("pipeline.contrib.engine_admin.urls"))``.

``""`` is the console page; ``graph/<root_id>/`` the graph of a run, with its JSON under it
(``data/``, ``states/``, ``nodes/<node_id>/``); ``api/v1/<engine_type>/<action>/<instance_id>/`` the
JSON API, with ``engine_type`` ``bamboo_engine`` (``pipeline_engine`` is accepted and answered with
``result: false``) and one route per action of :data:`pipeline.eri.operations.catalog.ACTIONS`.
"""

from django.urls import path, register_converter
from django.urls.converters import StringConverter

from pipeline.contrib.engine_admin import views
from pipeline.eri.operations.catalog import ACTIONS

API_VERSION = "v1"

app_name = "engine_admin"


class EngineConverter(StringConverter):
    regex = "(bamboo_engine|pipeline_engine)"


register_converter(EngineConverter, "engine")

urlpatterns = [
    path("", views.index, name="index"),
    path("graph/<str:root_id>/", views.graph_page, name="graph"),
    path("graph/<str:root_id>/data/", views.graph_data, name="graph_data"),
    path("graph/<str:root_id>/states/", views.graph_states, name="graph_states"),
    path("graph/<str:root_id>/nodes/<str:node_id>/", views.graph_node, name="graph_node"),
] + [
    path(
        f"api/{API_VERSION}/<engine:engine_type>/{spec.name}/<str:instance_id>/",
        views.action_view,
        {"action": spec.name},
        name=spec.name,
    )
    for spec in ACTIONS
]
