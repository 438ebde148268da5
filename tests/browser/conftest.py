"""Fixtures for the browser tests: the built book served over HTTP, one headless Chromium.

* The HTML root is ``$EBM_BOOK_HTML`` or ``<repo>/_build/html``; it must exist ("make book").
* Chromium is Debian's ``/usr/bin/chromium`` (``$EBM_CHROMIUM`` overrides); playwright never
  downloads a browser. With no Chromium or no playwright the tests are skipped, unless
  ``EBM_REQUIRE_BROWSER=1`` (CI), where they fail.
* Pages are discovered, never listed: ``index.html``, ``book/**/*.html``, ``notebooks/**/*.html``.
  Tests are parametrized over them by argument name (see ``pytest_generate_tests``).
* After the session, ``<html root>/../browser-report.json`` records how many pages were checked
  and how many explorers were scrubbed (only when the browser tests ran).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import threading
import time
import types
from pathlib import Path
from urllib.parse import urljoin

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("EBM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 20_000
LANGS = ("ko", "en")
REPORT_KEY = pytest.StashKey[dict]()


def html_root_path() -> Path:
    env = os.environ.get("EBM_BOOK_HTML")
    return Path(env).resolve() if env else REPO_ROOT / "_build" / "html"


def _rel(root: Path, paths) -> list[str]:
    return sorted({p.relative_to(root).as_posix() for p in paths if p.is_file()})


def book_pages(root: Path) -> list[str]:
    """The book's own pages (Sphinx's search and index pages are not under book/ or notebooks/)."""
    if not root.is_dir():
        return []
    return _rel(root, [*root.glob("book/**/*.html"), *root.glob("notebooks/**/*.html")])


def content_pages(root: Path) -> list[str]:
    """The book's pages of one edition: those under a ko/ or en/ folder (not the front door)."""
    return [rel for rel in book_pages(root) if page_language(rel) is not None]


def front_door(root: Path) -> str | None:
    """The book's root page: the page of no edition that index.html sends a reader to."""
    index = root / "index.html"
    if not index.is_file():
        return None
    m = re.search(r"""url\s*=\s*['"]?([^'">\s]+)""", index.read_text("utf-8", "replace"), re.I)
    return m.group(1) if m else "index.html"


def notebook_pages(root: Path) -> list[str]:
    return _rel(root, root.glob("notebooks/**/*.html")) if root.is_dir() else []


def all_pages(root: Path) -> list[str]:
    index = ["index.html"] if (root / "index.html").is_file() else []
    return index + book_pages(root)


def page_language(rel: str) -> str | None:
    """'ko' or 'en' from the first language folder in the page's path."""
    for part in rel.split("/")[:-1]:
        if part in LANGS:
            return part
    return None


def counterpart(rel: str) -> str | None:
    """The same page in the other language: the first /ko/ or /en/ folder swapped."""
    parts = rel.split("/")
    for i, part in enumerate(parts[:-1]):
        if part in LANGS:
            parts[i] = "en" if part == "ko" else "ko"
            return "/".join(parts)
    return None


_EXPLORER_RE = re.compile(r"""class=["'][^"']*\bebm-explorer\b(?![-\w])""")


def explorer_pages(root: Path) -> list[str]:
    return [rel for rel in content_pages(root) if _EXPLORER_RE.search((root / rel).read_text("utf-8", "replace"))]


def _missing(reason: str):
    # The test runs and fails (html_root or the test itself says why): never an empty, skipped set.
    return [pytest.param(None, id=reason)]


def pytest_generate_tests(metafunc):
    root = html_root_path()
    params = {
        # every page, index.html included
        "page_path": lambda: all_pages(root),
        # pages under book/ and notebooks/ in a ko/ or en/ folder (every page but the front door)
        "content_page": lambda: content_pages(root),
        # pages under a /ko/ folder
        "ko_page": lambda: [p for p in content_pages(root) if page_language(p) == "ko"],
        # pages with at least one static explorer in their HTML
        "explorer_page": lambda: explorer_pages(root),
        # chapter pages (one per notebook)
        "notebook_page": lambda: notebook_pages(root),
    }
    for name, find in params.items():
        if name in metafunc.fixturenames:
            found = find()
            metafunc.parametrize(name, found or _missing(f"no-{name.replace('_', '-')}-found"), ids=str)


# ---------------------------------------------------------------------------------------------
# Environment


def _browser_missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        return f"playwright is not importable ({e}); install the pinned requirements (make install)"
    if not Path(CHROMIUM).is_file():
        return f"{CHROMIUM} not found: install Debian's chromium package (or set EBM_CHROMIUM)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _browser_available():
    """Skip the browser tests where there is no browser, or fail where CI requires one."""
    reason = _browser_missing()
    if reason is None:
        return
    if os.environ.get("EBM_REQUIRE_BROWSER", "").strip().lower() in {"1", "true", "yes"}:
        pytest.fail(f"EBM_REQUIRE_BROWSER=1 but the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def html_root() -> Path:
    root = html_root_path()
    if not root.is_dir():
        pytest.fail(f"build the book first: make book (no HTML at {root})", pytrace=False)
    return root


@pytest.fixture(scope="session")
def book(html_root: Path):
    """The discovery helpers for the tests (a conftest is not imported by name)."""
    return types.SimpleNamespace(
        root=html_root,
        notebook_pages=lambda: notebook_pages(html_root),
        content_pages=lambda: content_pages(html_root),
        front_door=lambda: front_door(html_root),
        language=page_language,
        counterpart=counterpart,
    )


class _BookHandler(http.server.SimpleHTTPRequestHandler):
    """Static files, quietly. A browser asks the host's root for /favicon.ico by itself; the book
    declares none and the host's root is not the book's, so an absent one is "204 No Content"."""

    def send_head(self):
        if self.path.split("?", 1)[0] == "/favicon.ico" and not Path(self.translate_path(self.path)).is_file():
            self.send_response(204)
            self.end_headers()
            return None
        return super().send_head()

    def log_message(self, fmt, *args):
        pass


@pytest.fixture(scope="session")
def base_url(html_root: Path):
    """The HTML root served on 127.0.0.1 (free port), e.g. 'http://127.0.0.1:41234/'."""
    handler = functools.partial(_BookHandler, directory=str(html_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="book-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def chromium():
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception:
        pw.stop()
        raise
    try:
        yield browser
    finally:
        browser.close()
        pw.stop()


# ---------------------------------------------------------------------------------------------
# One page per test


class Visit:
    """A fresh page that records what the site does: console errors, page errors, requests."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.requests: list[str] = []
        self.bad_responses: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda err: self.page_errors.append(f"{page.url}: {err}"))
        page.on("request", lambda req: self.requests.append(req.url))
        page.on("response", self._on_response)
        page.on("requestfailed", lambda req: self.bad_responses.append(f"{req.url} (failed: {req.failure})"))

    def _on_console(self, msg):
        if msg.type == "error":
            loc = msg.location or {}
            where = f" [{loc.get('url', '')}:{loc.get('lineNumber', '')}]" if loc.get("url") else ""
            self.console_errors.append(f"{self.page.url}: {msg.text}{where}")

    def _on_response(self, resp):
        if resp.status >= 400:
            self.bad_responses.append(f"{resp.url} (HTTP {resp.status})")

    def url(self, rel: str) -> str:
        return urljoin(self.base_url, rel)

    def goto(self, rel: str, idle: bool = False):
        """Open a page and wait for its load event, or for network idle with ``idle``; follow a
        meta refresh (index.html's)."""
        page = self.page
        wait = "networkidle" if idle else "load"
        response = page.goto(self.url(rel), wait_until=wait)
        try:
            refresh = page.evaluate(
                """() => { const m = document.querySelector('meta[http-equiv="refresh" i]');
                           return m ? m.getAttribute('content') : null; }"""
            )
        except Exception:  # a 0-second refresh navigated away while we asked: wait for its page
            page.wait_for_load_state(wait)
            refresh = None
        if refresh:
            m = re.search(r"url\s*=\s*['\"]?([^'\"]+)", refresh, re.I)
            if m:
                page.wait_for_url(urljoin(page.url, m.group(1).strip()))
                page.wait_for_load_state(wait)
        return response


# Every document starts as a first visit: the theme (and anything else) finds no saved state.
_FIRST_VISIT_JS = "try { localStorage.clear(); sessionStorage.clear(); } catch (e) {}"


@pytest.fixture(scope="session")
def browser_context(chromium):
    """One context for the session (its HTTP cache makes the pages quick to load); every test
    gets its own page in it, and every document starts with empty storage."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, service_workers="block")
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    context.add_init_script(_FIRST_VISIT_JS)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def visit(browser_context, base_url):
    """A new page for this test."""
    page = browser_context.new_page()
    try:
        yield Visit(page, base_url)
    finally:
        page.close()


# ---------------------------------------------------------------------------------------------
# Report for CI


@pytest.fixture(scope="session")
def book_report(request, html_root: Path) -> dict:
    """Counts filled in by the tests; written to <html root>/../browser-report.json at the end."""
    report = {"html_root": str(html_root), "pages": set(), "explorers": set(), "started": time.time()}
    request.config.stash[REPORT_KEY] = report
    return report


def pytest_sessionfinish(session, exitstatus):
    report = session.config.stash.get(REPORT_KEY, None)
    if report is None or hasattr(session.config, "workerinput"):
        return
    root = Path(report["html_root"])
    out = {
        "pages_checked": len(report["pages"]),
        "explorers_scrubbed": len(report["explorers"]),
        "pages": sorted(report["pages"]),
        "html_root": str(root),
        "tests_failed": session.testsfailed,
        "exitstatus": int(exitstatus),
        "seconds": round(time.time() - report["started"], 1),
    }
    (root.parent / "browser-report.json").write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n", "utf-8")
