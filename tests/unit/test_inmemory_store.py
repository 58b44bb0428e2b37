"""The in-memory store as storage of the shared rules: conditional writes, unique keys, transactions."""

import pytest

from bamboo_engine.eri.rules.storage import PROCESS, SCHEDULE, In, Increment, SameAs
from bamboo_engine.testing.store import Store


def _schedule(store, node_id="n", version="v"):
    row = {"type": 3, "process_id": 1, "node_id": node_id, "version": version}
    return store.insert(SCHEDULE, row)


def _process(store, **fields):
    row = {"root_pipeline_id": "r", "pipeline_stack": ["r"], **fields}
    return store.insert(PROCESS, row)


def test_insert_refuses_a_second_row_with_the_same_unique_key():
    store = Store()
    first = _schedule(store)
    assert _schedule(store) is None
    assert _schedule(store, version="v2") == first + 1
    assert store.find_unique(SCHEDULE, ("n", "v")).id == first


def test_update_matches_by_key_text_equality_same_as_and_in():
    store = Store()
    ids = [_process(store, need_ack=2), _process(store, need_ack=2), _process(store)]
    assert store.update(PROCESS, {"id": str(ids[0])}, {"ack_num": Increment(2)}) == 1
    assert store.update(PROCESS, {"id": "not a number"}, {"dead": True}) == 0
    assert store.update(PROCESS, {"ack_num": SameAs("need_ack")}, {"asleep": False}) == 1
    assert store.update(PROCESS, {"id": In(ids[1:] + [999])}, {"frozen": True}) == 2
    assert store.update(PROCESS, {"id": In([])}, {"frozen": False}) == 0
    assert [(p.ack_num, p.asleep, p.frozen) for p in store.processes.values()] == [
        (2, False, False),
        (0, True, True),
        (0, True, True),
    ]


def test_a_transaction_that_raises_undoes_its_writes_and_drops_what_it_deferred():
    store = Store()
    kept = _process(store)
    sent = []
    with pytest.raises(RuntimeError), store.transaction():
        store.update(PROCESS, {"id": kept}, {"current_node_id": "a"})
        with store.transaction():  # part of the outer one
            _process(store)
            _schedule(store)
        store.on_commit(lambda: sent.append("message"))
        raise RuntimeError("abort")

    assert list(store.processes) == [kept] and store.processes[kept].current_node_id == ""
    assert store.schedules == {} and store.find_unique(SCHEDULE, ("n", "v")) is None
    assert sent == []
    assert _schedule(store) is not None  # the unique key was released too


def test_deferred_actions_run_once_the_transaction_completed():
    store = Store()
    sent = []
    with store.transaction():
        store.on_commit(lambda: sent.append(1))
        assert sent == []
    store.on_commit(lambda: sent.append(2))  # outside a transaction: at once
    assert sent == [1, 2]
