"""The student edition of the book (``make book-student``, ``_build/html-student``): the same pages
as the full edition, the same figures, explorers and checks, and no solution code anywhere.

"Solution code" is every line between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` in the
teacher notebooks that appears nowhere else in the book's sources (lines of fewer than six
characters, such as ``else:``, are too common to search for). The same search, run on the full
edition, finds those lines there: the search can fail.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup

from ebm_course import student

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
FULL = Path(os.environ.get("EBM_BOOK_HTML", REPO_ROOT / "_build" / "html"))
STUDENT = Path(os.environ.get("EBM_STUDENT_BOOK_HTML", REPO_ROOT / "_build" / "html-student"))
NOTEBOOKS = REPO_ROOT / "notebooks"
TEXT_SUFFIXES = {".html", ".js", ".ipynb", ".md", ".txt", ".json", ".css", ".py"}


def _teacher_notebooks() -> dict[str, nbformat.NotebookNode]:
    return {
        p.relative_to(REPO_ROOT).as_posix(): nbformat.read(p, as_version=4) for p in sorted(NOTEBOOKS.rglob("*.ipynb"))
    }


def _split(source: str) -> tuple[list[str], list[str]]:
    inside, sol, rest = False, [], []
    for line in source.split("\n"):
        s = line.strip()
        if s in (student.BEGIN, student.END):
            inside = s == student.BEGIN
        else:
            (sol if inside else rest).append(s)
    return sol, rest


@functools.cache
def solution_lines() -> dict[str, list[str]]:
    """Per notebook (its path under the repository), the solution lines found nowhere else."""
    notebooks = _teacher_notebooks()
    elsewhere = {line.strip() for p in (REPO_ROOT / "book").rglob("*.md") for line in p.read_text("utf-8").split("\n")}
    inside: dict[str, set[str]] = {}
    for rel, nb in notebooks.items():
        inside[rel] = set()
        for c in nb.cells:
            sol, rest = _split(c.source) if "solution" in c.metadata.get("tags", []) else ([], c.source.split("\n"))
            inside[rel] |= set(sol)
            elsewhere |= {line.strip() for line in rest}
    # a line that is also part of a longer line outside the solutions (a docstring that states the
    # formula, say) is shown to students on purpose: it is not a leak
    shown = "\n".join(elsewhere)
    return {
        rel: sorted(s for s in lines - elsewhere if len(s) >= 6 and s not in shown) for rel, lines in inside.items()
    }


def _all_solution_lines() -> list[str]:
    return sorted({line for lines in solution_lines().values() for line in lines})


def _pages(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.html")) if root.is_dir() else []


def _need_editions():
    for root, how in ((FULL, "make book"), (STUDENT, "make book-student")):
        if not (root / "index.html").is_file():
            pytest.fail(f"no built book at {root}: {how}", pytrace=False)


def _text_of(path: Path) -> str:
    """What a reader of the file sees: the text of an HTML page (no scripts or styles), the cells
    of a notebook, any other text file as it is."""
    raw = path.read_text("utf-8", errors="replace")
    if path.suffix == ".html":
        soup = BeautifulSoup(raw, "html.parser")
        for el in soup(["script", "style"]):
            el.decompose()
        return soup.get_text()
    if path.suffix == ".ipynb":
        return "\n".join(c.source for c in nbformat.reads(raw, as_version=4).cells)
    return raw


def _leaks(text: str) -> list[str]:
    return [line for line in _all_solution_lines() if line in text]


# index.html only sends the reader on to the first page (the file test reads it)
STUDENT_PAGES = [p for p in _pages(STUDENT) if p != "index.html"] or [None]
CHAPTER_PAGES = [p for p in _pages(STUDENT) if p.startswith("notebooks/")] or [None]


# ---------------------------------------------------------------------------------------------
# The files


def test_the_search_finds_the_solutions_in_the_full_edition():
    _need_editions()
    per_notebook = solution_lines()
    assert all(len(lines) >= 3 for lines in per_notebook.values()), per_notebook
    for rel, lines in per_notebook.items():
        page = FULL / Path(rel).with_suffix(".html")
        text = _text_of(page)
        assert [line for line in lines if line in text] == lines, f"{page}: the full edition shows every solution line"
        assert _leaks(_text_of(FULL / "_sources" / rel)), f"the full edition's _sources/{rel} has the solutions"


def test_both_editions_have_the_same_pages():
    _need_editions()
    assert _pages(STUDENT) == _pages(FULL)


def test_no_file_of_the_student_edition_holds_solution_code():
    _need_editions()
    scanned, leaks = 0, {}
    for path in sorted(STUDENT.rglob("*")):
        if path.is_file() and path.suffix in TEXT_SUFFIXES:
            scanned += 1
            if found := _leaks(_text_of(path)):
                leaks[path.relative_to(STUDENT).as_posix()] = found[:3]
    assert scanned > 20 and not leaks, f"solution code in the student edition: {leaks}"


def _cells(root: Path, rel: str):
    return BeautifulSoup((root / rel).read_text("utf-8"), "html.parser").select("div.cell")


@pytest.mark.parametrize("rel", CHAPTER_PAGES)
def test_chapter_keeps_its_figures_explorers_and_checks(rel):
    _need_editions()
    assert rel is not None, "no chapter page in the student edition"
    full, mine = _cells(FULL, rel), _cells(STUDENT, rel)
    assert len(full) == len(mine)
    stubs = 0
    for a, b in zip(full, mine):
        if "tag_solution" in a.get("class", []):
            stubs += 1
            assert "ebm-student-stub" in b.get("class", [])
            code = b.select_one("div.cell_input pre").get_text()
            assert code.startswith("def ") and "raise NotImplementedError()" in code
            continue
        a_in, b_in = a.select_one("div.cell_input pre"), b.select_one("div.cell_input pre")
        assert (a_in and a_in.get_text()) == (b_in and b_in.get_text()), f"{rel}: a cell's code changed"
        if a_in is not None and "ec.exercises.check_" in a_in.get_text():
            assert not b.select("div.cell_output"), f"{rel}: the check shows the solution's verdict"
            continue
        # figures, explorer frames, printed numbers and hidden asserts: as in the full edition
        assert [str(o) for o in a.select("div.cell_output")] == [str(o) for o in b.select("div.cell_output")]
        assert a.get("class") == b.get("class")
    assert stubs >= 3
    assert sum(bool(c.select(".ebm-explorer")) for c in mine) == sum(bool(c.select(".ebm-explorer")) for c in full)
    assert sum("tag_hide-cell" in c.get("class", []) for c in mine) >= 3


def test_launch_buttons_and_colab_links_are_gone():
    _need_editions()
    for root, expect in ((FULL, True), (STUDENT, False)):
        raw = (root / "notebooks/en/02_energy_gibbs.html").read_text("utf-8")
        assert ("dropdown-launch-buttons" in raw) is expect
    for rel in _pages(STUDENT):
        raw = (STUDENT / rel).read_text("utf-8")
        for bad in (
            'href="https://colab.research.google.com/github/',
            'href="https://mybinder.org/',
            "dropdown-launch-buttons",
        ):
            assert bad not in raw, f"{rel}: {bad}"


# ---------------------------------------------------------------------------------------------
# In the browser


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        if self.path.split("?", 1)[0] == "/favicon.ico" and not Path(self.translate_path(self.path)).is_file():
            self.send_response(204)
            self.end_headers()
            return None
        return super().send_head()

    def log_message(self, fmt, *args):
        pass


@pytest.fixture(scope="module")
def student_url():
    _need_editions()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(STUDENT)))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


# The page's text as the DOM holds it, folded parts included, without scripts and styles.
_DOM_TEXT_JS = """() => {
    const body = document.body.cloneNode(true);
    for (const el of body.querySelectorAll('script, style')) el.remove();
    return body.textContent;
}"""


@pytest.mark.parametrize("rel", STUDENT_PAGES)
def test_student_page_shows_no_solution_code(browser_context, student_url, rel):
    assert rel is not None, f"no pages under {STUDENT}: make book-student"
    page = browser_context.new_page()
    errors = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        response = page.goto(student_url + rel, wait_until="load")
        assert response is not None and response.status == 200
        text = page.evaluate(_DOM_TEXT_JS)
        assert not _leaks(text), f"{rel}: solution code on the page: {_leaks(text)[:3]}"
        assert not errors, f"{rel}: page errors: {errors}"
        if rel.startswith("notebooks/"):
            note = page.locator(".ebm-student-edition")
            assert note.count() == 1 and note.first.is_visible()
            stubs = page.locator(".ebm-student-stub pre")
            assert stubs.count() >= 3
            for i in range(stubs.count()):
                assert stubs.nth(i).is_visible(), f"{rel}: stub {i + 1} is folded away"
                assert "NotImplementedError" in stubs.nth(i).inner_text()
    finally:
        page.close()


def test_an_explorer_of_the_student_edition_still_scrubs(browser_context, student_url):
    rels = [r for r in _pages(STUDENT) if "ebm-explorer" in (STUDENT / r).read_text("utf-8")]
    assert rels, "no explorer in the student edition"
    page = browser_context.new_page()
    try:
        page.goto(student_url + rels[0], wait_until="load")
        ex = page.locator(".ebm-explorer").first
        img, slider = ex.locator("img").first, ex.locator("input[type=range]").first
        before = img.evaluate("e => e.src")
        slider.scroll_into_view_if_needed()
        slider.focus()
        page.keyboard.press("End" if slider.evaluate("r => r.value !== r.max") else "Home")
        assert img.evaluate("e => e.src") != before, f"{rels[0]}: the explorer's picture did not change"
    finally:
        page.close()
