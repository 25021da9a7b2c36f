"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Every page opened through `open_page` has its requests recorded; a test fails at
teardown if any page asked for something outside the live server (a CDN font, an
analytics script), raised a JavaScript error, or ends with a critical or serious
axe-core violation.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.servers.basehttp import ThreadedWSGIServer
from django.test.testcases import LiveServerThread
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.e2e.accessibility import serious_violations
from tests.e2e.helpers import DESKTOP

# Playwright's sync API runs an event loop in this thread; the tests still use the ORM
# from it (to seed and to check what was saved), which Django would otherwise refuse.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


class InFlight:
    """Counts the live server's requests still being answered.

    Closing a browser context does not stop a request the server is already answering
    (a late htmx poll, say). On PostgreSQL the test database is flushed with TRUNCATE
    after each test, which deadlocks against such a request's transaction, so teardown
    waits for the count to reach zero first.
    """

    def __init__(self) -> None:
        self.count = 0
        self.idle = threading.Condition()

    def wrap(self, application: Any) -> Any:
        def counted(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with self.idle:
                self.count += 1
            try:
                # The body is read and the response closed (which closes the request's
                # database connection) here, so the request is over when this returns.
                response = application(environ, start_response)
                try:
                    return list(response)
                finally:
                    if hasattr(response, "close"):
                        response.close()
            finally:
                with self.idle:
                    self.count -= 1
                    self.idle.notify_all()

        return counted

    def wait_until_idle(self, timeout: float = 30.0) -> None:
        with self.idle:
            if not self.idle.wait_for(lambda: self.count == 0, timeout=timeout):
                pytest.fail(f"the live server was still answering {self.count} request(s)")


IN_FLIGHT = InFlight()


class TrackedServer(ThreadedWSGIServer):
    """The live server, counting its requests in flight (see InFlight)."""

    def set_app(self, application: Any) -> None:
        super().set_app(IN_FLIGHT.wrap(application))


class OneRequestAtATimeServer(TrackedServer):
    """The live server, answering one request at a time.

    With the in-memory SQLite test database every server thread shares the test's one
    connection, so two requests at once (a page and a late htmx call) would interleave
    inside one transaction. Production SQLite is a file with its own connection per
    thread and BEGIN IMMEDIATE, which serialises writers properly.
    """

    def set_app(self, application: Any) -> None:
        lock = threading.Lock()

        def serialised(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            with lock:
                return application(environ, start_response)

        super().set_app(serialised)


LiveServerThread.server_class = (  # type: ignore[attr-defined]
    OneRequestAtATimeServer
    if settings.DATABASES["default"]["NAME"] == ":memory:"
    else TrackedServer
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests drive Debian's Chromium. "
            "Install it with `apt-get install chromium` (the Makefile does this); "
            "do not run `playwright install`.",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class RequestLog:
    """Every URL any page asked for in this session, and the ones of the current test."""

    session: list[str] = field(default_factory=list)
    current: list[str] = field(default_factory=list)

    def add(self, url: str) -> None:
        self.session.append(url)
        self.current.append(url)


@pytest.fixture(scope="session")
def request_log() -> RequestLog:
    return RequestLog()


def outside(urls: list[str], base_url: str) -> list[str]:
    """The URLs that are neither on the live server nor data:/about: URLs."""
    return [
        url
        for url in urls
        if not url.startswith((f"{base_url}/", "data:", "about:")) and url != base_url
    ]


OpenPage = Callable[..., Page]


def csp_violations(console_text: str) -> list[str]:
    """What the Content-Security-Policy blocked: the browser says so on the console."""
    return [console_text] if "Content Security Policy" in console_text else []


# Assertions wait as long as actions do (context.set_default_timeout below), not
# Playwright's 5 s: on a loaded CI machine a page can take longer to arrive (CI once
# timed out waiting for the REMS form after a link's click). They pass as soon as the
# condition holds; this bounds only how long a real failure takes to report.
expect.set_options(timeout=10_000)


@pytest.fixture
def open_page(
    browser: Browser, live_server: Any, transactional_db: None, request_log: RequestLog
) -> Iterator[OpenPage]:
    """open_page(viewport=DESKTOP) -> a page in a fresh browser context (own cookies)."""
    request_log.current = []
    page_errors: list[str] = []
    contexts = []

    def make(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP)  # type: ignore[arg-type]
        context.set_default_timeout(10_000)
        context.on("request", lambda req: request_log.add(req.url))
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: page_errors.append(str(exc)))
        page.on("console", lambda msg: page_errors.extend(csp_violations(msg.text)))
        return page

    yield make
    # Whatever page a test ends on passes axe-core (tests/e2e/accessibility.py).
    inaccessible = [
        problem
        for context in contexts
        for page in context.pages
        if page.url.startswith(live_server.url)
        for problem in serious_violations(page)
    ]
    for context in contexts:
        context.close()
    IN_FLIGHT.wait_until_idle()
    assert request_log.current, "no page made any request"
    assert outside(request_log.current, live_server.url) == []
    assert page_errors == []
    assert inaccessible == []
