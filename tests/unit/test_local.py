"""The current-node record of bamboo_engine.local is per thread."""

import threading

from bamboo_engine.local import CurrentNodeInfo, clear_node_info, get_node_info, set_node_info


def test_set_get_clear():
    info = CurrentNodeInfo(node_id="n1", version="v1", loop=2)
    set_node_info(info)
    try:
        assert get_node_info() == info
        assert (get_node_info().node_id, get_node_info().version, get_node_info().loop) == ("n1", "v1", 2)
    finally:
        clear_node_info()
    assert get_node_info() is None


def test_each_thread_sees_its_own_node():
    set_node_info(CurrentNodeInfo("main", "v", 1))
    seen = {}

    def worker():
        seen["before"] = get_node_info()
        set_node_info(CurrentNodeInfo("worker", "v", 1))
        seen["after"] = get_node_info().node_id

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(timeout=10)
    try:
        assert seen == {"before": None, "after": "worker"}
        assert get_node_info().node_id == "main"
    finally:
        clear_node_info()
