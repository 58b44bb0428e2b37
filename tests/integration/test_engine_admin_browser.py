"""The engine_admin console in a real browser: headless Chromium (Debian's package, driven through its
chromedriver by Selenium) on a ``runserver`` of the playground, with pipelines on a real gevent worker.

An operator opens the console, finds the running pipeline in the list, pauses and resumes it, and sends
the waiting node its callback from the node's row; screenshots are kept in the test's temp directory.
"""

import pytest

from tests.contract.trees import activity, linear_tree
from tests.integration.browser import PAGE_TIMEOUT, operator_session_cookie, screenshot
from tests.integration.env import wait_until
from tests.integration.helpers import runtime, start, state_name, wait_finished

pytestmark = pytest.mark.integration

QUEUE = "gv"


def _waiting_for_callback(node_id: str) -> bool:
    from pipeline.eri.models import Schedule

    state = runtime().get_state_or_none(node_id)
    return bool(state and state.name == "RUNNING" and Schedule.objects.filter(node_id=node_id).exists())


def _wait_for_page_state(driver, expected: str) -> None:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def shown(current) -> bool:
        flash = current.find_element(By.ID, "flash")
        if "refused" in flash.text or "failed" in flash.text:
            raise AssertionError(f"the console says: {flash.text}")
        return current.find_element(By.ID, "pipeline-state").text == expected

    wait = WebDriverWait(
        driver, PAGE_TIMEOUT, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)
    )
    wait.until(shown, f"the console to show the pipeline {expected}")


def test_an_operator_pauses_resumes_and_calls_back_a_running_pipeline(
    gevent_worker, console_url, browser, tmp_path
):
    from selenium.webdriver.common.by import By

    waiting, after = (
        activity("callback_node", name="wait for the partner"),
        activity("debug_node", name="after"),
    )
    root_id = start(linear_tree(waiting, after), queue=QUEUE)
    wait_until(lambda: _waiting_for_callback(waiting.id), 60, "the callback node to wait")

    browser.get(console_url)  # the cookie needs a page of the server's origin first
    browser.add_cookie({"name": "sessionid", "value": operator_session_cookie(), "path": "/"})

    # Find the running pipeline in the list and open it.
    browser.get(f"{console_url}?state=RUNNING")
    browser.find_element(By.XPATH, f"//a[@class='pipeline-link'][code='{root_id}']").click()
    _wait_for_page_state(browser, "RUNNING")
    assert browser.find_element(By.ID, f"node-{waiting.id}").get_attribute("data-state") == "RUNNING"

    browser.find_element(By.CSS_SELECTOR, "#pipeline button.action-task_pause").click()
    _wait_for_page_state(browser, "SUSPENDED")
    assert state_name(root_id) == "SUSPENDED"
    screenshot(browser, tmp_path / "engine_admin_paused.png")

    browser.find_element(By.CSS_SELECTOR, "#pipeline button.action-task_resume").click()
    _wait_for_page_state(browser, "RUNNING")
    assert state_name(root_id) == "RUNNING"

    # The waiting node's own action: its callback, with data typed into its form.
    row = browser.find_element(By.ID, f"node-{waiting.id}")
    row.find_element(By.CSS_SELECTOR, "form[data-action='node_callback'] summary").click()
    data = row.find_element(By.CSS_SELECTOR, "form[data-action='node_callback'] textarea[name='data']")
    data.clear()
    data.send_keys('{"ok": true, "from": "the browser"}')
    row.find_element(By.CSS_SELECTOR, "button.action-node_callback").click()

    wait_finished([root_id])
    browser.get(f"{console_url}?pipeline_id={root_id}")
    _wait_for_page_state(browser, "FINISHED")
    assert runtime().get_execution_data_outputs(waiting.id)["callback_data"] == {
        "ok": True,
        "from": "the browser",
    }
    assert state_name(after.id) == "FINISHED"
    screenshot(browser, tmp_path / "engine_admin_console.png")
