"""The engine_admin graph view in headless Chromium, on runs of a real gevent worker.

An operator opens the graph of a running pipeline, watches its nodes turn from running to finished as
the page polls, clicks a node and reads its side panel; then the graphs of a finished 17-node run and of a
failed run; then a 1,000-node run, whose render time is printed. Screenshots go to the test's temp dir.
"""

import pytest

from bamboo_engine import api
from tests.contract.trees import activity, flow_between, linear_tree, normal_pipeline, subprocess
from tests.integration.browser import PAGE_TIMEOUT, operator_session_cookie, screenshot
from tests.integration.env import wait_until
from tests.integration.helpers import runtime, start, state_name, wait_finished

pytestmark = pytest.mark.integration

QUEUE = "gv"
#: The fill colours of graph.css, as the browser computes them.
FILLS = {
    "": "rgb(255, 255, 255)",
    "RUNNING": "rgb(219, 234, 254)",
    "FINISHED": "rgb(220, 242, 227)",
    "FAILED": "rgb(253, 226, 225)",
}


def _wait(driver, condition, message: str):
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    ignored = (NoSuchElementException, StaleElementReferenceException)
    return WebDriverWait(driver, PAGE_TIMEOUT, ignored_exceptions=ignored).until(condition, message)


def _open_graph(driver, console_url: str, root_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(console_url)  # the cookie needs a page of the server's origin first
    driver.add_cookie({"name": "sessionid", "value": operator_session_cookie(), "path": "/"})
    driver.get(f"{console_url}graph/{root_id}/")
    app = driver.find_element(By.ID, "graph-app")
    _wait(
        driver,
        lambda _: app.get_attribute("data-ready") == "true" or app.get_attribute("data-error"),
        "graph",
    )
    assert not app.get_attribute("data-error"), app.get_attribute("data-error")


def _node(driver, node_id: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, f"gnode-{node_id}")


def _state(driver, node_id: str) -> str:
    return _node(driver, node_id).get_attribute("data-state")


def _fill(driver, node_id: str) -> str:
    script = "return getComputedStyle(arguments[0].querySelector(':scope > .shape')).fill;"
    return driver.execute_script(script, _node(driver, node_id))


def _taken(driver, flow_id: str) -> bool:
    from selenium.webdriver.common.by import By

    return "taken" in driver.find_element(By.ID, f"flow-{flow_id}").get_attribute("class").split()


def _select(driver, node_id: str) -> dict:
    """Clicks the node and returns the side panel's texts once it shows that node."""
    from selenium.webdriver.common.by import By

    _node(driver, node_id).click()
    panel = driver.find_element(By.ID, "panel")
    _wait(driver, lambda _: panel.get_attribute("data-node-id") == node_id, f"the panel of {node_id}")
    texts = {}
    for name in ("name", "state", "inputs", "outputs", "logs", "histories"):
        texts[name] = driver.find_element(By.ID, f"panel-{name}").text
    errors = driver.find_elements(By.ID, "panel-ex-data")
    texts["ex_data"] = errors[0].text if errors else ""
    return texts


def _waiting_for_callback(node_id: str) -> bool:
    from pipeline.eri.models import Schedule

    state = runtime().get_state_or_none(node_id)
    return bool(state and state.name == "RUNNING" and Schedule.objects.filter(node_id=node_id).exists())


def test_the_graph_of_a_running_pipeline_follows_it_to_the_end(gevent_worker, console_url, browser, tmp_path):
    from selenium.webdriver.common.by import By

    prepare = activity("debug_node", name="prepare", greeting="hello from the graph")
    waiting = activity("callback_node", name="wait for the partner")
    inner = activity("debug_node", name="inner")
    tree = linear_tree(prepare, waiting, subprocess(inner, name="afterwards"))
    root_id = start(tree, queue=QUEUE)
    wait_until(lambda: _waiting_for_callback(waiting.id), 60, "the callback node to wait")

    _open_graph(browser, console_url, root_id)

    assert browser.find_element(By.ID, "pipeline-state").text == "RUNNING"
    assert (_state(browser, prepare.id), _fill(browser, prepare.id)) == ("FINISHED", FILLS["FINISHED"])
    assert (_state(browser, waiting.id), _fill(browser, waiting.id)) == ("RUNNING", FILLS["RUNNING"])
    assert (_state(browser, inner.id), _fill(browser, inner.id)) == ("", FILLS[""])  # inside the subprocess
    assert _taken(browser, flow_between(tree, prepare.id, waiting.id))
    assert not _taken(browser, tree["activities"][waiting.id]["outgoing"])
    assert browser.find_element(By.ID, "graph-app").get_attribute("data-polling") == "on"
    screenshot(browser, tmp_path / "graph_running.png")

    version = runtime().get_state(waiting.id).version
    assert api.callback(runtime(), waiting.id, version, {"ok": True, "from": "the graph test"}).result
    wait_finished([root_id])

    # No reload: the page's own polling brings the new states.
    _wait(browser, lambda d: d.find_element(By.ID, "pipeline-state").text == "FINISHED", "FINISHED shown")
    _wait(browser, lambda d: _state(d, inner.id) == "FINISHED", "the inner node FINISHED")
    assert _fill(browser, waiting.id) == FILLS["FINISHED"] and _fill(browser, inner.id) == FILLS["FINISHED"]
    assert _taken(browser, flow_between(tree, prepare.id, waiting.id))
    _wait(
        browser,
        lambda d: d.find_element(By.ID, "graph-app").get_attribute("data-polling") == "stopped",
        "stop",
    )

    panel = _select(browser, prepare.id)
    assert panel["name"] == "prepare" and panel["state"] == "FINISHED"
    assert "hello from the graph" in panel["outputs"] and "hello from the graph" in panel["inputs"]
    callback_panel = _select(browser, waiting.id)
    assert "the graph test" in callback_panel["outputs"]
    screenshot(browser, tmp_path / "graph_finished.png")


def test_the_graphs_of_a_finished_17_node_run_and_of_a_failed_run(
    gevent_worker, console_url, browser, tmp_path
):
    from selenium.webdriver.common.by import By

    tree, ids = normal_pipeline()
    root_id = start(tree, queue=QUEUE)
    broken = activity("fail_node", name="breaks")
    failed_id = start(linear_tree(broken), queue=QUEUE)
    wait_finished([root_id])
    wait_until(lambda: state_name(broken.id) == "FAILED", 60, "the failing node to fail")

    _open_graph(browser, console_url, root_id)

    for name in ("start", "act_1", "sub_act_2", "pg", "act_5", "eg", "act_6", "end"):
        assert _fill(browser, ids[name]) == FILLS["FINISHED"], name
    assert (_state(browser, ids["act_7"]), _fill(browser, ids["act_7"])) == ("", FILLS[""])
    assert _taken(browser, flow_between(tree, ids["eg"], ids["act_6"]))
    assert not _taken(browser, flow_between(tree, ids["eg"], ids["act_7"]))
    panel = _select(browser, ids["act_1"])
    assert panel["name"] == "act_1" and "param_1" in panel["outputs"]
    screenshot(browser, tmp_path / "graph_17_nodes.png")
    browser.set_window_size(1900, 900)
    browser.find_element(By.ID, "zoom-fit").click()
    screenshot(browser, tmp_path / "graph_17_nodes_wide.png")  # the one in docs/images/graph-view.png

    _open_graph(browser, console_url, failed_id)

    assert (_state(browser, broken.id), _fill(browser, broken.id)) == ("FAILED", FILLS["FAILED"])
    panel = _select(browser, broken.id)
    assert panel["state"] == "FAILED" and panel["ex_data"]
    screenshot(browser, tmp_path / "graph_failed.png")


def test_a_thousand_node_run_is_drawn_and_its_render_time_printed(it_session, console_url, browser, tmp_path):
    from selenium.webdriver.common.by import By

    from benchmark.graph_view import prepare_run
    from pipeline.eri.operations.graph import pipeline_graph

    root_id = prepare_run(1000)
    data = pipeline_graph(root_id)
    top_level = len(data["pipelines"][root_id]["nodes"])

    _open_graph(browser, console_url, root_id)
    app = browser.find_element(By.ID, "graph-app")
    first = {key: app.get_attribute(f"data-{key}") for key in ("fetch-ms", "render-ms", "painted-ms")}
    assert int(app.get_attribute("data-drawn-nodes")) == top_level  # subprocesses start collapsed
    screenshot(browser, tmp_path / "graph_1000_collapsed.png")

    browser.find_element(By.ID, "expand-all").click()
    _wait(browser, lambda _: app.get_attribute("data-drawn-nodes") == "1000", "all 1,000 nodes drawn")
    _wait(browser, lambda _: app.get_attribute("data-painted-ms"), "the expanded drawing painted")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#graph-svg g.node")) == 1000
    expanded = {key: app.get_attribute(f"data-{key}") for key in ("render-ms", "painted-ms")}
    failed = [n for n, entry in data["live"]["nodes"].items() if entry["state"] == "FAILED"]
    assert [_fill(browser, node_id) for node_id in failed] == [FILLS["FAILED"]]
    screenshot(browser, tmp_path / "graph_1000_expanded.png")
    print(
        f"graph 1000 nodes: opened with {top_level} nodes drawn (subprocesses collapsed): "
        f"fetch_ms={first['fetch-ms']} render_ms={first['render-ms']} painted_ms={first['painted-ms']}; "
        f"expand all, 1000 nodes drawn: render_ms={expanded['render-ms']} painted_ms={expanded['painted-ms']}"
    )
