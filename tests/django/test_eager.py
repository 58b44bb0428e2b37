"""The real publisher with Celery's ``task_always_eager``: a whole run executes in the calling thread."""

from celery import current_app

from bamboo_engine import api
from pipeline.eri.runtime import BambooDjangoRuntime
from tests.contract import trees


def test_run_pipeline_eagerly(transactional_db, monkeypatch):
    monkeypatch.setattr(current_app.conf, "task_always_eager", True)
    tree = trees.linear_tree(trees.activity("eri_eager_missing_component"))
    runtime = BambooDjangoRuntime()
    assert api.run_pipeline(runtime, tree).result
    # The component does not exist: the activity fails, which proves the engine ran it in place.
    act_id = next(iter(tree["activities"]))
    assert runtime.get_state(act_id).name == "FAILED"
    assert "eri_eager_missing_component" in runtime.get_execution_data_outputs(act_id)["ex_data"]
