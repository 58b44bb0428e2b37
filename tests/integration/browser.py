"""Headless Chromium for the engine_admin browser tests: Debian's package, driven through its chromedriver
by Selenium, on a ``runserver`` of the playground that uses the integration session's database and broker.

The fixtures (``chromium_installed``, ``console_url``, ``browser``) are made available to every integration
test by ``tests/integration/conftest.py``.
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

from tests.integration.env import REPO_ROOT, wait_until

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


def operator_session_cookie() -> str:
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


def screenshot(driver, path: Path) -> Path:
    assert driver.save_screenshot(str(path)), f"no screenshot written to {path}"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    print(f"screenshot: {path}")
    return path
