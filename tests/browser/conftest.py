"""Browser tests: Debian's Chromium (scripts/setup-browser.sh) driven by Playwright against the
real bridge, Rasa and action server (the integration fixtures). Screenshots are kept in
test-artifacts/screenshots/ for people to look at."""
import os
import re
from pathlib import Path

import pytest


CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
# Without the network-related flags Chromium keeps calling Google's hosts, which a closed network refuses.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
# The widget shows the privacy notice before a chat's first message. Tests about something else start
# chatting at once: their shopper presses the notice's own button as soon as it can be pressed (the
# server records the acknowledgement as for anyone). tests/browser/test_privacy_widget.py opens pages
# with `acknowledge_notice=False` to test the notice itself.
ACKNOWLEDGE_NOTICE = """
setInterval(() => {
  const button = document.getElementById("kd-notice-accept");
  if (button && button.offsetParent !== null && button.getAttribute("aria-disabled") === "false") button.click();
}, 50);
"""


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run scripts/setup-browser.sh (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """`new_page(viewport=PHONE)` opens a page in a fresh context; console errors fail the test,
    except those containing `expected_error` (e.g. "401": Chromium logs a refused request). The
    widget's privacy notice is acknowledged when it shows, unless `acknowledge_notice=False`."""
    contexts, errors = [], []

    def open_page(viewport=LAPTOP, expected_error=None, acknowledge_notice=True, **options):
        options.setdefault("locale", "tr-TR")  # the console follows the browser's language; ours is Turkish
        context = browser.new_context(viewport=viewport, **options)
        if acknowledge_notice:
            context.add_init_script(ACKNOWLEDGE_NOTICE)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)

        def unexpected(text):
            if expected_error is None or expected_error not in text:
                errors.append(text)

        page.on("pageerror", lambda error: unexpected(str(error)))
        page.on("console", lambda message: unexpected(message.text) if message.type == "error" else None)
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page's console: {errors}"


@pytest.fixture
def screenshot(request):
    """`screenshot(page, "name")` saves test-artifacts/screenshots/<test>-<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test_name = re.sub(r"[^a-z0-9_]+", "-", request.node.name.lower())

    def save(page, name: str) -> Path:
        path = SCREENSHOTS / f"{test_name}-{name}.png"
        page.screenshot(path=str(path), full_page=False)
        return path

    return save
