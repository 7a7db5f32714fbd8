"""Headless Chromium for the browser tests (test_site.py, test_binder.py): one place that finds
Chromium and its driver, starts them offline-only, serves a folder over HTTP on 127.0.0.1, and
takes full-page screenshots.

Chromium and chromedriver come from Debian's packages `chromium` and `chromium-driver`
(.ci/run installs them). Selenium is always handed both paths, so it never tries to download a
driver. Without them the browser tests skip, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

# The flags the browser tests always use. The host-resolver rule makes every host but 127.0.0.1
# unresolvable: the pages under test must work with no internet, so nothing may reach it.
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
)

DESKTOP = (1280, 800)
PHONE = (390, 844)


def chromium_paths() -> tuple[str, str]:
    """(chromium, chromedriver), or skip (fail in CI) when either is missing."""
    binary = next((p for p in ("/usr/lib/chromium/chromium", shutil.which("chromium"),
                               shutil.which("chromium-browser")) if p and os.access(p, os.X_OK)),
                  None)
    driver = shutil.which("chromedriver")
    if binary and driver:
        return binary, driver
    message = ("headless Chromium is needed: `apt-get install chromium chromium-driver` "
               f"(found chromium={binary}, chromedriver={driver})")
    if os.environ.get("CI"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def chromium(width: int, height: int) -> Iterator:
    """A headless Chromium (a Selenium WebDriver) with a fresh profile, logging console messages
    and network events, at a viewport of width x height CSS pixels."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths()
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = binary
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                     f"--window-size={width},{height}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        service = Service(executable_path=driver_path, log_output=os.devnull)
        driver = webdriver.Chrome(options=options, service=service)
        # Selenium's own wait for a command's answer was 120 s, like the page and script timeouts,
        # and on a loaded two-core machine axe-core on the preface (its long notation table) took
        # longer: every site test failed. Scripts get 300 s, and Selenium waits longer than that.
        driver.command_executor.client_config.timeout = 360
        try:
            driver.set_page_load_timeout(120)
            driver.set_script_timeout(300)
            set_viewport(driver, width, height)
            yield driver
        finally:
            driver.quit()


def set_viewport(driver, width: int, height: int) -> None:
    """Lay the page out for a viewport of width x height CSS pixels (window.innerWidth == width).

    Not emulated as a touch device: a mobile viewport would zoom out to fit content that
    overflows, and so hide the very overflow the phone-width check is looking for.
    """
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})


def screenshot(driver, path: Path, max_height: int = 30000) -> Path:
    """A full-page PNG of the current page (up to max_height CSS pixels tall)."""
    metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
    size = metrics.get("cssContentSize") or metrics["contentSize"]
    viewport = metrics.get("cssLayoutViewport") or metrics["layoutViewport"]
    width = max(size["width"], viewport["clientWidth"])
    height = min(max(size["height"], viewport["clientHeight"]), max_height)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve folder over HTTP on 127.0.0.1 from a thread; yields the base URL (ending in /)."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="site-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def console_errors(driver) -> list[str]:
    """The browser console's SEVERE messages since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def network_events(driver) -> list[dict]:
    """Chromium's network events (DevTools messages) since the last call."""
    import json

    events = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"].startswith("Network."):
            events.append(message)
    return events


def wait_until(predicate, timeout: float, interval: float = 0.5, what: str = "a condition"):
    """Poll predicate() until it returns something truthy (and return that), or fail."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)
        time.sleep(interval)
