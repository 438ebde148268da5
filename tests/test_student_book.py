"""``ebm_course.student_book`` on a small built book made here (the real one is tested in the browser,
tests/browser/test_student_edition.py): what it removes, what it keeps, and that it stops, rather
than leak a solution, when a page does not match its notebook."""

from __future__ import annotations

import html
import shutil

import nbformat
import pytest
from nbtools import NB, read

from ebm_course import student, student_book

SLUG = "02_energy_gibbs"
COLAB = f"https://colab.research.google.com/github/o/r/blob/main/notebooks/en/{SLUG}.ipynb"


def _page(nb) -> str:
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            cells.append(f"<p>{html.escape(cell.source[:40])}</p>")
            continue
        tags = " ".join(f"tag_{t}" for t in cell.metadata.get("tags", []))
        out = '<div class="cell_output"><p>✓ Passed!</p></div>' if "check_" in cell.source else ""
        out = out or '<div class="cell_output"><img src="data:image/png;base64,AAAA"/></div>'
        cells.append(
            f'<div class="cell {tags}"><details class="hide above-input"><div class="cell_input">'
            f'<div class="highlight"><pre>{html.escape(cell.source)}\n</pre></div></div></details>{out}</div>'
        )
    return (
        '<html><body><div class="dropdown dropdown-launch-buttons"><a href="https://mybinder.org/v2/gh/o/r">B</a></div>'
        '<a class="btn-source-repository-button" href="https://github.com/o/r">repo</a>'
        f'<article class="bd-article"><p><a href="{COLAB}">Open in Colab</a></p>{"".join(cells)}</article></body></html>'
    )


@pytest.fixture
def built(tmp_path):
    root = tmp_path / "html"
    (root / "notebooks" / "en").mkdir(parents=True)
    (root / "_sources" / "notebooks" / "en").mkdir(parents=True)
    (root / "index.html").write_text('<meta http-equiv="Refresh" content="0; url=notebooks/en/x.html"/>', "utf-8")
    (root / "notebooks" / "en" / f"{SLUG}.html").write_text(_page(read("en", SLUG)), "utf-8")
    shutil.copy(NB / "en" / f"{SLUG}.ipynb", root / "_sources" / "notebooks" / "en" / f"{SLUG}.ipynb")
    return root


def _solution_lines(nb):
    lines = []
    for c in nb.cells:
        if "solution" in c.metadata.get("tags", []):
            body = c.source.split(student.BEGIN)[1].split(student.END)[0]
            lines += [ln.strip() for ln in body.splitlines() if ln.strip()]
    return lines


def test_solutions_become_stubs_and_the_rest_stays(built, tmp_path):
    from bs4 import BeautifulSoup

    dest = tmp_path / "student"
    assert student_book.write_student_book(built, dest, NB) == {f"notebooks/en/{SLUG}.html": 3}
    raw = (dest / "notebooks" / "en" / f"{SLUG}.html").read_text("utf-8")
    soup = BeautifulSoup(raw, "html.parser")
    text = soup.get_text()
    solutions = _solution_lines(read("en", SLUG))
    assert len(solutions) >= 3 and not [ln for ln in solutions if ln in text]
    stubs = soup.select(".ebm-student-stub")
    assert len(stubs) == 3 and all(
        "raise NotImplementedError()" in s.get_text() and not s.select("details") for s in stubs
    )
    assert not [c for c in soup.select("div.cell") if "tag_solution" in c.get("class", [])]
    assert "✓ Passed!" not in text, "the checks lose the verdict on the teacher's solution"
    assert text.count("ec.exercises.check_") == 3, "the checks themselves stay"
    code_cells = [c for c in read("en", SLUG).cells if c.cell_type == "code"]
    assert len(soup.select("img")) == len(code_cells) - 3, "every output but the checks' stays"
    for gone in ("mybinder.org", "colab.research.google.com", "btn-source-repository-button"):
        assert gone not in raw
    assert soup.select_one(".ebm-student-edition").get_text().startswith("Student edition")
    downloaded = nbformat.read(dest / "_sources" / "notebooks" / "en" / f"{SLUG}.ipynb", as_version=4)
    assert downloaded == student.student_notebook(read("en", SLUG), "en")
    assert (built / "notebooks" / "en" / f"{SLUG}.html").read_text("utf-8") == _page(read("en", SLUG)), "html untouched"


def test_a_page_that_does_not_match_its_notebook_stops_the_command(built, tmp_path):
    page = built / "notebooks" / "en" / f"{SLUG}.html"
    nb = read("en", SLUG)
    changed = next(c for c in nb.cells if c.cell_type == "code" and "solution" not in c.metadata.get("tags", []))
    changed.source += "\nx = 1"
    page.write_text(_page(nb), "utf-8")
    with pytest.raises(ValueError, match="does not match its notebook cell"):
        student_book.write_student_book(built, tmp_path / "student", NB)
    nb = read("en", SLUG)
    nb.cells = [c for c in nb.cells if "solution" not in c.metadata.get("tags", [])]
    page.write_text(_page(nb), "utf-8")
    with pytest.raises(ValueError, match="code cells in the HTML"):
        student_book.write_student_book(built, tmp_path / "student", NB)


def test_bad_arguments_are_rejected(built, tmp_path):
    with pytest.raises(ValueError, match="html"):
        student_book.write_student_book(tmp_path / "nothing", tmp_path / "student", NB)
    with pytest.raises(ValueError, match="dest"):
        student_book.write_student_book(built, built, NB)
    with pytest.raises(ValueError, match="notebooks"):
        student_book.write_student_book(built, tmp_path / "student", tmp_path / "none")
