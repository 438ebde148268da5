"""``make pdf``: the built HTML book printed as two PDFs, one per edition.

The pages of an edition are its part of ``_toc.yml``, in the book's order. Each is opened in
headless Chromium from a local HTTP server (nothing is fetched from elsewhere) and printed with
Playwright's ``page.pdf`` once MathJax has typeset the equations, the fonts have loaded and every
image has decoded; an explorer prints the frame it opens on. pypdf joins the pages into one file,
with a bookmark per page (and the page's own headings below it). Usage::

    python -m ebm_course.pdf                      # _build/html -> _build/pdf/ebm-course-{ko,en}.pdf
    python -m ebm_course.pdf --html DIR --out DIR --lang ko

The book must be built first (``make book``). Chromium is Debian's ``/usr/bin/chromium``
(``$EBM_CHROMIUM`` overrides), the same one the browser tests use; Playwright downloads none.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import io
import os
import posixpath
import sys
import threading
from pathlib import Path

EDITIONS = ("ko", "en")
FILENAME = "ebm-course-{lang}.pdf"
TITLES = {
    "ko": "세부 사항과 예제로 보는 SSL, EBM: 강의 동반서",
    "en": "SSL, EBM with details and examples: the companion book",
}
CHROMIUM = os.environ.get("EBM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
PAGE_TIMEOUT_MS = 60_000
PDF_OPTIONS = {
    "format": "A4",
    "print_background": True,
    "margin": {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"},
    "outline": True,
}

# Ready to print: every image loaded (lazy ones too), the fonts in, MathJax done typesetting.
_READY_JS = """async () => {
    for (const img of document.images) img.loading = "eager";
    await Promise.all([...document.images].map(img => img.decode().catch(() => null)));
    await document.fonts.ready;
    const math = document.querySelector("span.math, div.math");
    if (math) {
        const t0 = Date.now();
        while (!(window.MathJax && MathJax.startup && MathJax.startup.promise)) {
            if (Date.now() - t0 > 30000) throw new Error("MathJax did not start within 30 s");
            await new Promise(r => setTimeout(r, 50));
        }
        await MathJax.startup.promise;
        const left = [...document.querySelectorAll("span.math, div.math")]
            .filter(e => !e.querySelector("mjx-container")).length;
        if (left) throw new Error(left + " equations were not typeset");
    }
    await document.fonts.ready;
    const broken = [...document.images].filter(img => !img.naturalWidth).map(img => img.src.slice(0, 80));
    return {broken, title: (document.querySelector("h1") || {}).innerText || document.title};
}"""


def _path(value, name: str) -> Path:
    if isinstance(value, bool) or not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {type(value).__name__}")
    return Path(value)


def _langs(langs) -> tuple[str, ...]:
    if isinstance(langs, str):
        langs = (langs,)
    try:
        langs = tuple(langs)
    except TypeError as err:
        raise TypeError(f"langs must be a sequence of {EDITIONS} (got {langs!r})") from err
    bad = [x for x in langs if x not in EDITIONS]
    if not langs or bad:
        raise ValueError(f"langs must be a non-empty sequence of {EDITIONS} (got {langs!r})")
    return langs


def _docname(entry: str) -> str:
    root, ext = posixpath.splitext(entry)
    return root if ext in (".md", ".ipynb", ".rst") else entry


def _toc_files(items) -> list[str]:
    """The ``file`` entries of a part's chapters and their sections, depth first."""
    out = []
    for item in items or []:
        if "file" in item:
            out.append(_docname(item["file"]))
        out += _toc_files(item.get("sections"))
    return out


def edition_pages(toc_path, lang: str) -> list[str]:
    """The pages of edition ``lang`` (``"ko"`` or ``"en"``) in the book's order: the docnames of the
    ``_toc.yml`` part whose pages all sit under a ``lang`` folder."""
    import yaml

    toc_path = _path(toc_path, "toc_path")
    (lang,) = _langs((lang,))
    if not toc_path.is_file():
        raise ValueError(f"toc_path must be the book's _toc.yml (no file at {toc_path})")
    toc = yaml.safe_load(toc_path.read_text(encoding="utf-8"))
    for part in toc.get("parts") or []:
        files = _toc_files(part.get("chapters"))
        if files and all(lang in f.split("/")[:-1] for f in files):
            return files
    raise ValueError(f"toc_path {toc_path} has no part whose pages are all under a {lang}/ folder")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, fmt, *args):
        pass


@contextlib.contextmanager
def _serve(html_root: Path):
    """``html_root`` on 127.0.0.1 (a free port); yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(html_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="pdf-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def _chromium(chromium: str):
    from playwright.sync_api import sync_playwright

    if not Path(chromium).is_file():
        raise ValueError(f"chromium must be a Chromium executable (no file at {chromium}); install Debian's chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _print_page(context, url: str) -> tuple[bytes, str]:
    page = context.new_page()
    try:
        response = page.goto(url, wait_until="load")
        if response is None or response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response and response.status}")
        ready = page.evaluate(_READY_JS)
        if ready["broken"]:
            raise RuntimeError(f"{url}: images that did not load: {ready['broken']}")
        return page.pdf(**PDF_OPTIONS), " ".join(ready["title"].replace("#", " ").split())
    finally:
        page.close()


def print_edition(browser, base_url: str, pages: list[str], out) -> Path:
    """Print ``pages`` (docnames, served under ``base_url``) with ``browser`` (a Playwright Browser)
    into one PDF at ``out``; returns its path."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    out = _path(out, "out")
    if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base_url must be an http(s) URL ending in / (got {base_url!r})")
    if isinstance(pages, str) or not pages or not all(isinstance(p, str) and p for p in pages):
        raise ValueError(f"pages must be a non-empty list of docnames (got {pages!r})")
    lang = next((p for p in pages[0].split("/")[:-1] if p in EDITIONS), None)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme="light")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.set_default_navigation_timeout(PAGE_TIMEOUT_MS)
    writer = PdfWriter()
    try:
        for docname in pages:
            data, title = _print_page(context, base_url.rstrip("/") + "/" + docname + ".html")
            writer.append(PdfReader(io.BytesIO(data)), outline_item=title, import_outline=True)
    finally:
        context.close()
    if lang:
        writer.add_metadata({"/Title": TITLES[lang]})
        writer.root_object[NameObject("/Lang")] = TextStringObject(lang)
    writer.page_mode = "/UseOutlines"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as f:
        writer.write(f)
    tmp.replace(out)
    return out


def write_pdfs(book_root=".", html_root=None, out_dir=None, *, langs=EDITIONS, browser=None, chromium=CHROMIUM):
    """Write ``<out_dir>/ebm-course-<lang>.pdf`` for each of ``langs`` from the built book.

    book_root: the folder with ``_toc.yml``; html_root: the built HTML (default
    ``<book_root>/_build/html``); out_dir: default ``<book_root>/_build/pdf``. browser: a running
    Playwright Browser to reuse (else Chromium at ``chromium`` is started and closed).
    Returns ``{lang: path}``.
    """
    book_root = _path(book_root, "book_root")
    html_root = book_root / "_build" / "html" if html_root is None else _path(html_root, "html_root")
    out_dir = book_root / "_build" / "pdf" if out_dir is None else _path(out_dir, "out_dir")
    langs = _langs(langs)
    chromium = str(_path(chromium, "chromium"))
    toc = book_root / "_toc.yml"
    if not toc.is_file():
        raise ValueError(f"book_root must hold the book's _toc.yml (no file at {toc})")
    order = {lang: edition_pages(toc, lang) for lang in langs}
    for pages in order.values():
        missing = [p for p in pages if not (html_root / f"{p}.html").is_file()]
        if missing:
            raise ValueError(f"html_root {html_root} lacks {missing}: build the book first (make book)")
    written = {}
    with contextlib.ExitStack() as stack:
        base_url = stack.enter_context(_serve(html_root))
        if browser is None:
            browser = stack.enter_context(_chromium(chromium))
        for lang, pages in order.items():
            written[lang] = print_edition(browser, base_url, pages, out_dir / FILENAME.format(lang=lang))
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Print the built book as one PDF per edition.")
    parser.add_argument("--book", default=".", help="folder with _toc.yml (default: .)")
    parser.add_argument("--html", default=None, help="the built HTML (default: <book>/_build/html)")
    parser.add_argument("--out", default=None, help="output folder (default: <book>/_build/pdf)")
    parser.add_argument("--lang", action="append", choices=EDITIONS, help="one edition only (repeatable)")
    args = parser.parse_args(argv)
    written = write_pdfs(args.book, args.html, args.out, langs=args.lang or EDITIONS)
    for lang, path in written.items():
        print(f"{lang}: {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["EDITIONS", "edition_pages", "print_edition", "write_pdfs", "main"]
