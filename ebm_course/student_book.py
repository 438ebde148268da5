"""The student edition of the book: the built HTML book with the solution code taken out.

Usage (``make book-student`` runs it after ``make book``)::

    python -m ebm_course.student_book _build/html _build/html-student

It copies the built book and rewrites the copy; nothing is executed again. On each chapter page,
every code cell is matched with its notebook cell (a cell whose text differs stops the command,
so a change in the HTML's markup can never leak a solution), and then

* a solution cell shows the stub of the student notebook (``ebm_course.student``) in place of its
  source, unfolded, the way the student receives it;
* the cell that calls an exercise check loses its output: the verdict was the solution's;
* the downloadable ``.ipynb`` under ``_sources`` is the student notebook.

On every page the launch buttons and the Colab links (they open the teacher's notebooks) and the
repository button are removed, and a note at the top says that this is the student edition. The
figures, the explorers and the hidden ``assert`` cells that check the prose stay as they are.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from . import student

__all__ = ["write_student_book", "main"]

CHECK_CALL = re.compile(r"ec\.exercises\.check_\w+\(")
STUB_CLASS = "ebm-student-stub"
NOTE_CLASS = "ebm-student-edition"
NOTE = {
    "en": (
        "Student edition",
        "This edition of the book leaves out the solution code of the exercises. Write your own in "
        "the notebooks your instructor hands out: the check after each exercise tells you whether "
        "it is right.",
    ),
    "ko": (
        "학생용 판",
        "이 판에는 연습 문제의 풀이 코드가 없다. 강사가 나누어 주는 노트북에 직접 코드를 써 넣자. "
        "연습 문제마다 뒤따르는 검사가 답이 맞는지 알려 준다.",
    ),
}
# Links that open the teacher's notebooks, solutions included.
TEACHER_LINK = re.compile(r"^https://(colab\.research\.google\.com/github/|mybinder\.org/)")


def _highlight(source: str) -> str:
    from sphinx.highlighting import PygmentsBridge

    block = PygmentsBridge("html").highlight_block(source, "ipython3")
    return f'<div class="highlight-ipython3 notranslate">{block}</div>'


def _language(rel: Path) -> str:
    return "ko" if "ko" in rel.parts[:-1] else "en"


def _page_chrome(soup, lang: str) -> None:
    """Remove the launch buttons, the Colab links and the repository button; add the note."""
    for el in soup.select(".dropdown-launch-buttons, .btn-source-repository-button"):
        el.decompose()
    for a in soup.find_all("a", href=TEACHER_LINK):
        parent = a.parent
        a.decompose()
        if parent is not None and parent.name == "p" and not parent.get_text(strip=True):
            parent.decompose()
    article = soup.select_one("article.bd-article") or soup.find("main")
    if article is not None:
        title, text = NOTE[lang]
        note = soup.new_tag("div", attrs={"class": f"admonition note {NOTE_CLASS}"})
        head = soup.new_tag("p", attrs={"class": "admonition-title"})
        head.string = title
        body = soup.new_tag("p")
        body.string = text
        note.append(head)
        note.append(body)
        article.insert(0, note)


def _cell_text(cell) -> str | None:
    pre = cell.select_one("div.cell_input pre")
    return None if pre is None else pre.get_text().rstrip("\n")


def _chapter(soup, nb, lang: str, page: str) -> int:
    """Rewrite the cells of one chapter page; return the number of solutions removed."""
    from bs4 import BeautifulSoup

    code = [c for c in nb.cells if c.cell_type == "code" and "remove-cell" not in c.metadata.get("tags", [])]
    cells = soup.select("div.cell")
    if len(cells) != len(code):
        raise ValueError(f"{page}: {len(cells)} code cells in the HTML, {len(code)} in the notebook")
    stubs = student.student_notebook(nb, lang)
    stub_of = {id(c): s for c, s in zip(nb.cells, stubs.cells)}
    removed = 0
    for cell, div in zip(code, cells):
        text = _cell_text(div)
        if text is not None and text != cell.source.rstrip("\n"):
            raise ValueError(f"{page}: an HTML cell does not match its notebook cell:\n{cell.source[:200]}")
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            if text is None:
                raise ValueError(f"{page}: a solution cell has no source in the HTML")
            stub = BeautifulSoup(
                f'<div class="cell_input docutils container">{_highlight(stub_of[id(cell)].source)}</div>',
                "html.parser",
            )
            outputs = div.select("div.cell_output")
            div.clear()
            div.append(stub)
            for out in outputs:
                div.append(out)
            div["class"] = [c for c in div.get("class", []) if c not in ("tag_solution", "tag_hide-input")]
            div["class"].append(STUB_CLASS)
            removed += 1
        elif CHECK_CALL.search(cell.source):
            for out in div.select("div.cell_output"):
                out.decompose()
    if removed != sum("solution" in c.metadata.get("tags", []) for c in code):
        raise ValueError(f"{page}: not every solution cell was replaced")
    return removed


def write_student_book(html, dest, notebooks="notebooks") -> dict[str, int]:
    """Copy the built book ``html`` to ``dest`` without solution code; return the number of
    solutions removed per chapter page."""
    import nbformat
    from bs4 import BeautifulSoup

    html, dest, notebooks = Path(html), Path(dest), Path(notebooks)
    if not (html / "index.html").is_file():
        raise ValueError(f"html must be a built book, with an index.html (got {html}): run make book")
    if not notebooks.is_dir():
        raise ValueError(f"notebooks must be the folder of the book's notebooks (got {notebooks})")
    if dest.resolve() == html.resolve():
        raise ValueError("dest must differ from html")
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(html, dest)

    done: dict[str, int] = {}
    for page in sorted(dest.rglob("*.html")):
        rel = page.relative_to(dest)
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        lang = _language(rel)
        _page_chrome(soup, lang)
        if rel.parts[0] == "notebooks":
            source = notebooks / rel.relative_to("notebooks").with_suffix(".ipynb")
            if not source.is_file():
                raise ValueError(f"{rel}: no notebook {source}")
            done[rel.as_posix()] = _chapter(soup, nbformat.read(source, as_version=4), lang, rel.as_posix())
        page.write_text(str(soup), encoding="utf-8")

    for src in sorted((dest / "_sources").rglob("*.ipynb")):
        rel = src.relative_to(dest / "_sources")
        if rel.parts[0] != "notebooks":
            raise ValueError(f"_sources/{rel}: a notebook outside notebooks/ (its solutions would stay)")
        nb = nbformat.read(notebooks / rel.relative_to("notebooks"), as_version=4)
        nbformat.write(student.student_notebook(nb, _language(rel)), src)
    return done


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write the student edition of the built book (no solution code).")
    parser.add_argument("html", nargs="?", default="_build/html", help="the built book (make book)")
    parser.add_argument("dest", nargs="?", default="_build/html-student", help="output folder")
    parser.add_argument("--notebooks", default="notebooks", help="the book's notebooks")
    args = parser.parse_args(argv)
    try:
        done = write_student_book(args.html, args.dest, args.notebooks)
    except ValueError as err:
        parser.error(str(err))
    print(f"{sum(done.values())} solutions removed from {len(done)} chapter pages into {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
