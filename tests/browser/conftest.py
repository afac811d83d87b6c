"""Browser fixtures: a live server on 127.0.0.1:<free port> against the test database, and Playwright pages.

    live_server.url   the base URL (also set as app.config["BASE_URL"], so emailed links point at it)
    page              a desktop-sized page (1280×900)
    mobile_page       a phone-sized page (375×740)

Commit test data (db.session.commit()) before the browser reads it, and db.session.rollback() (or
expire_all) before reading what the browser changed. With CI=true a missing Chromium fails the test.
"""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("TRACKER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
IN_CI = os.environ.get("CI") == "true"
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


class LiveServer:
    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def start(self):
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def live_server(app, db):
    db.session.commit()
    server = LiveServer(app)
    app.config["BASE_URL"] = server.url
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _playwright():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}"
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    manager = sync_playwright().start()
    yield manager
    manager.stop()


@pytest.fixture(scope="session")
def browser(_playwright):
    chromium = _playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


def _new_page(browser, width: int, height: int, **options):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
    context.set_default_timeout(15_000)
    return context, context.new_page()


@pytest.fixture
def page(browser, live_server):
    context, new_page = _new_page(browser, 1280, 900)
    yield new_page
    context.close()


@pytest.fixture
def mobile_page(browser, live_server):
    context, new_page = _new_page(browser, 375, 740, is_mobile=True, has_touch=True)
    yield new_page
    context.close()
