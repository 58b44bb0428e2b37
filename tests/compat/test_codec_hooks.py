"""Upstream's JSON hooks for node data (``pipeline.eri.codec.DATA_JSON_ENCODER_PATH`` & co.) are used.

The project registers an encoder and an object hook for its ``Money`` type; a tree whose node data holds
a ``Money`` is then stored by ``run_pipeline`` and read back as a ``Money``.
"""

import pytest

from bamboo_engine.builder import EmptyEndEvent, EmptyStartEvent, ServiceActivity, Var, build_tree
from tests.compat.harness import run, runtime

pytestmark = pytest.mark.integration


def test_node_data_goes_through_the_projects_json_hooks(compat_session):
    from compat_plugins.codec import Money

    start, end = EmptyStartEvent(), EmptyEndEvent()
    # The first node waits for a callback that never comes: the priced node only has to be stored.
    waiting = ServiceActivity(component_code="compat_callback")
    priced = ServiceActivity(component_code="compat_noop")
    priced.component.inputs.price = Var(type=Var.PLAIN, value=Money("9.90", "EUR"))
    start.extend(waiting).extend(priced).extend(end)

    run(build_tree(start))

    assert runtime().get_data(priced.id).inputs["price"].value == Money("9.90", "EUR")
