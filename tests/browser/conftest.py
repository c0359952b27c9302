"""Browser tests: Playwright for Python driving Debian's chromium against pytest-django's
live server (PostgreSQL). Never ``playwright install``: /usr/bin/chromium comes from apt."""

import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make in
# between are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
# axe-core (npm package, vendored with its licence): every page a test visits is checked.
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
AXE_IMPACTS = {"serious", "critical"}
_AXE_CHECKED: set[tuple] = set()  # one check per page shape per test run (two cores are shared)
PASSWORD = "pw-for-tests-only"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: run `apt-get update && apt-get install -y chromium` as root"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def web_settings(settings, live_server):
    """Plain http on localhost."""
    settings.ALLOWED_HOSTS = ["*"]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.CELERY_TASK_ALWAYS_EAGER = False


class Session:
    """One person's browser context; records console errors and failed requests."""

    def __init__(self, browser, live_server, user=None, viewport=None, javascript=True):
        self.live_server = live_server
        self.javascript = javascript
        self.context = browser.new_context(
            viewport=viewport or {"width": 1366, "height": 900}, java_script_enabled=javascript
        )
        self.context.set_default_timeout(8000)
        self.errors: list[str] = []
        if user is not None:
            from django.test import Client

            client = Client()
            client.force_login(user)
            self.context.add_cookies(
                [
                    {
                        "name": "sessionid",
                        "value": client.cookies["sessionid"].value,
                        "url": live_server.url,
                    }
                ]
            )
        self.visited: list[str] = []
        self.page = self.context.new_page()
        self.page.on("framenavigated", self._navigated)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, message):
        # Without JS a form with errors comes back as a 400/409 page, and chromium logs the status.
        if not self.javascript and "the server responded with a status of 4" in message.text:
            return
        if message.type == "error":
            self.errors.append(f"console: {message.text} @ {self.page.url}")

    def _navigated(self, frame):
        if frame == self.page.main_frame and frame.url.startswith(self.live_server.url):
            self.visited.append(frame.url)

    def axe(self) -> list[str]:
        """Run axe-core on the current page; the serious and critical violations, described."""
        if not self.page.evaluate("() => !!window.axe"):
            self.page.add_script_tag(content=AXE.read_text())
        result = self.page.evaluate(
            "() => axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
        )
        return [
            f"{v['id']} ({v['impact']}) on {self.page.url}: {v['help']} — "
            + "; ".join(n["target"][0] if n["target"] else "?" for n in v["nodes"][:6])
            for v in result
            if v["impact"] in AXE_IMPACTS
        ]

    def axe_visited(self) -> list[str]:
        """Revisit each page this session saw (once per page shape) and run axe on it."""
        if not self.javascript:
            return []
        found = []
        for url in dict.fromkeys(self.visited):
            parts = urlsplit(url)
            shape = (
                re.sub(r"/\d+(?=/|$)", "/N", parts.path),
                tuple(sorted({k for k, _ in parse_qsl(parts.query)})),
            )
            if shape in _AXE_CHECKED or "/accounts/logout" in parts.path:
                continue
            _AXE_CHECKED.add(shape)
            self.page.goto(url)
            found += self.axe()
        return found

    def go(self, path: str):
        self.page.goto(self.live_server.url + path)
        return self.page

    def shot(self, name: str):
        if os.environ.get("SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def open_session(browser, live_server):
    """``open_session(user)`` -> a signed-in Session; asserts no console errors at the end."""
    sessions: list[Session] = []

    def factory(user=None, viewport=None, javascript=True) -> Session:
        session = Session(browser, live_server, user, viewport, javascript)
        sessions.append(session)
        return session

    yield factory
    errors = [e for s in sessions for e in s.errors]
    violations = []
    for session in sessions:
        if not session.page.is_closed():
            violations += session.axe_visited()
        session.context.close()
    assert not errors, "console errors:\n" + "\n".join(errors)
    assert not violations, "axe-core, serious or critical:\n" + "\n".join(violations)
