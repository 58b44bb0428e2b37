"""The engine_admin console in a real browser: headless Chromium (Debian's package, driven through its
chromedriver by Selenium) on a ``runserver`` of the playground, with pipelines on a real gevent worker.

An operator opens the console, finds the running pipeline in the list, pauses and resumes it, and sends
the waiting node its callback from the node's row; screenshots are kept in the test's temp directory.
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.contract.trees import activity, linear_tree
from tests.integration.env import REPO_ROOT, wait_until
from tests.integration.helpers import runtime, start, state_name, wait_finished

pytestmark = pytest.mark.integration

QUEUE = "gv"
CHROMIUM = os.environ.get("BAMBOO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("BAMBOO_CHROMEDRIVER", "/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)
PAGE_TIMEOUT = 60.0


@pytest.fixture(scope="module")
def chromium_installed():
    """Chromium and chromedriver from Debian's packages, installed by the project's script when missing."""
    script = REPO_ROOT / "scripts" / "chromium.sh"
    done = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, f"{script} failed:\n{done.stdout}{done.stderr}"


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=2)
    except urllib.error.HTTPError:
        return True  # 403 for an anonymous visitor: the server is up
    except OSError:
        return False
    return True


@pytest.fixture(scope="module")
def console_url(it_session):
    """``manage.py runserver`` of the playground on loopback, on the session's database and broker."""
    port = _free_port()
    log_path = it_session.log_dir / "runserver.log"
    with open(log_path, "ab") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=str(REPO_ROOT),
            env=it_session.env(BAMBOO_DEBUG="1"),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: server.poll() is not None or _answers(f"{base}/engine_admin/"), 60, "runserver")
        assert server.poll() is None, f"runserver exited:\n{log_path.read_text(errors='replace')[-3000:]}"
        yield f"{base}/engine_admin/"
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)


@pytest.fixture
def browser(chromium_installed, monkeypatch):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must not look for a browser to download
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="bamboo_chromium_")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(PAGE_TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()


def _operator_session_cookie() -> str:
    """A logged-in session of a staff user holding every action permission (same database as the server)."""
    from django.contrib.auth.models import Permission, User
    from django.test import Client

    from pipeline.eri.operations.catalog import ACTIONS

    user, _ = User.objects.get_or_create(username="browser-operator", defaults={"is_staff": True})
    codenames = [spec.name for spec in ACTIONS] + ["view_state"]
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="eri", codename__in=codenames)
    )
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


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


def _screenshot(driver, path: Path) -> Path:
    assert driver.save_screenshot(str(path)), f"no screenshot written to {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {path}")
    return path


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
    browser.add_cookie({"name": "sessionid", "value": _operator_session_cookie(), "path": "/"})

    # Find the running pipeline in the list and open it.
    browser.get(f"{console_url}?state=RUNNING")
    browser.find_element(By.XPATH, f"//a[@class='pipeline-link'][code='{root_id}']").click()
    _wait_for_page_state(browser, "RUNNING")
    assert browser.find_element(By.ID, f"node-{waiting.id}").get_attribute("data-state") == "RUNNING"

    browser.find_element(By.CSS_SELECTOR, "#pipeline button.action-task_pause").click()
    _wait_for_page_state(browser, "SUSPENDED")
    assert state_name(root_id) == "SUSPENDED"
    _screenshot(browser, tmp_path / "engine_admin_paused.png")

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
    _screenshot(browser, tmp_path / "engine_admin_console.png")
