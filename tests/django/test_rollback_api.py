"""``pipeline.contrib.rollback`` on the Django runtime: api results, a rollback message that cannot be
sent, and the records the app keeps (the contract suite runs the behaviour itself on every runtime)."""

import json

import pytest

from pipeline.contrib.exceptions import RollBackException
from pipeline.contrib.rollback import api
from pipeline.contrib.rollback.models import RollbackNodeSnapshot, RollbackSnapshot, RollbackToken
from pipeline.contrib.utils import PipelineContribAPIResult
from pipeline.eri.imp import rollback as rollback_storage
from tests.contract.django_harness import DjangoSQLiteHarness
from tests.contract.rollback_support import Ledger
from tests.contract.services import register_all
from tests.contract.trees import linear_tree

# The marker (not the fixture) sets the database up before the harness: the registrations the harness
# makes are undone before the database is flushed.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def rb(monkeypatch):
    harness = DjangoSQLiteHarness(monkeypatch)
    register_all(harness)
    harness.enable_rollback()
    yield harness
    harness.close()


@pytest.fixture
def failed_chain(rb, tmp_path):
    ledger = Ledger(str(tmp_path / "ledger.jsonl"))
    a, b, c = ledger.undo("a"), ledger.undo("b"), ledger.undo("c", fail="until_rollback")
    root = rb.start(linear_tree(a, b, c), root_pipeline_data={"operator": "carol"})
    rb.wait_for_state(c.id, "FAILED")
    return root, a.id, b.id, c.id, ledger


def test_results_and_refusals_have_upstream_types(failed_chain):
    root, a, b, c, _ = failed_chain
    allowed = api.get_allowed_rollback_node_id_list(root, c)
    assert isinstance(allowed, PipelineContribAPIResult) and allowed.data == [a, b]
    refused = api.rollback(root, b, a)
    assert isinstance(refused, PipelineContribAPIResult) and refused.result is False
    assert isinstance(refused.exc, RollBackException) and "stopped at start node" in str(refused.exc)


def test_the_records_of_a_run(rb, failed_chain):
    root, a, b, c, _ = failed_chain
    [token] = RollbackToken.objects.filter(root_pipeline_id=root)
    assert json.loads(token.token)[a] == json.loads(token.token)[c]
    snapshot = RollbackNodeSnapshot.objects.get(root_pipeline_id=root, node_id=a)
    assert snapshot.outputs["made"] == "a-made" and snapshot.context_values == {"operator": "carol"}
    assert api.rollback(root, c, a).result
    rb.wait_for_state(root, "FINISHED")
    [record] = RollbackSnapshot.objects.filter(root_pipeline_id=root)
    assert record.is_expired and set(json.loads(record.node_access_record)) == {a, b, c}
    # The rolled back runs took new snapshots when they ran again; the old ones are gone.
    assert list(RollbackNodeSnapshot.objects.filter(node_id=a).values_list("rolled_back", flat=True)) == [
        False
    ]


def test_a_rollback_message_that_cannot_be_sent_leaves_a_retryable_failure(rb, failed_chain, monkeypatch):
    root, a, b, c, ledger = failed_chain
    sent = rollback_storage.publish

    def broken(kwargs):
        raise ConnectionError("broker away")

    monkeypatch.setattr(rollback_storage, "publish", broken)
    assert api.rollback(root, c, a).result  # accepted: the message leaves after the commit
    assert rb.state_name(root) == "ROLL_BACK_FAILED"
    # c failed and is skipped: b is the node the walk was to start with.
    assert rb.state_name(b) == "ROLL_BACK_FAILED"
    assert "the rollback message could not be sent" in rb.outputs(b)["ex_data"]

    monkeypatch.setattr(rollback_storage, "publish", sent)
    assert api.retry_rollback_failed_node(root, b).result
    rb.wait_for_state(root, "FINISHED")
    assert ledger.rollbacks() == ["b", "a"]
