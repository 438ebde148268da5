"""nbgrader reads the solution markers as ``make student`` does.

nbgrader pins its own Jupyter stack, so it lives in its own environment, ``_build/nbgrader-venv``
(``make nbgrader-env``; ``$EBM_NBGRADER_PYTHON`` names another interpreter). There, nbgrader's own
``ClearSolutions`` and ``ClearOutput`` run on every notebook of both languages, marked for nbgrader
by ``ebm_course.student.nbgrader_notebook`` and given outputs to clear, and ``generate_assignment``
builds an nbgrader course from ``ebm-course-student --nbgrader``. Each result is compared, cell by
cell, with the student notebook of ``make student``. Without that environment the tests are
skipped, unless ``EBM_REQUIRE_NBGRADER=1`` (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbtools import NB, ROOT, chapters, read

from ebm_course import student

NBGRADER_PYTHON = Path(os.environ.get("EBM_NBGRADER_PYTHON", ROOT / "_build" / "nbgrader-venv" / "bin" / "python"))
PAIRS = [(lang, slug) for lang in ("ko", "en") for slug in chapters()]
# nbgrader's default code stub for Python
NBGRADER_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]


def with_outputs(nb):
    """The notebook as if it had run: an output and an execution count in every code cell."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    for k, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = k + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"output {k}\n")]
    return nb


@pytest.fixture(scope="module")
def nbgrader(tmp_path_factory):
    if not NBGRADER_PYTHON.is_file():
        reason = f"no nbgrader environment at {NBGRADER_PYTHON}: make nbgrader-env"
        if os.environ.get("EBM_REQUIRE_NBGRADER", "").strip().lower() in {"1", "true", "yes"}:
            pytest.fail(f"EBM_REQUIRE_NBGRADER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    tmp = tmp_path_factory.mktemp("nbgrader")
    marked, course, out = tmp / "marked", tmp / "course", tmp / "out"
    for lang, slug in PAIRS:
        (marked / lang).mkdir(parents=True, exist_ok=True)
        nbformat.write(student.nbgrader_notebook(with_outputs(read(lang, slug))), marked / lang / f"{slug}.ipynb")
    written = student.write_nbgrader_source(NB, course / "source")
    assert len(written) == len(PAIRS)
    stubs = {lang: "\n".join(lines) for lang, lines in student.STUB.items()}
    done = subprocess.run(
        [str(NBGRADER_PYTHON), str(ROOT / "tests" / "nbgrader_run.py"), marked, course, out, json.dumps(stubs)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp,
        # nbgrader's gradebook runs its migrations with the environment's own `alembic` command
        env={**os.environ, "PATH": f"{NBGRADER_PYTHON.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert done.returncode == 0, f"nbgrader failed:\n{done.stdout}\n{done.stderr[-4000:]}"
    return out, course


def _cells(nb):
    return [(c.cell_type, c.source) for c in nb.cells]


def _masked(nb, stub_lines):
    """Cells with each stub line replaced by a placeholder (the stubs' text may differ)."""
    stub = {line.strip() for line in stub_lines}
    masked = []
    for kind, source in _cells(nb):
        lines = [
            line[: len(line) - len(line.lstrip())] + "<stub>" if line.strip() in stub else line
            for line in source.split("\n")
        ]
        masked.append((kind, "\n".join(lines)))
    return masked


def _no_outputs(nb):
    return all(c.outputs == [] and c.execution_count is None for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("lang, slug", PAIRS, ids=[f"{lang}/{slug}" for lang, slug in PAIRS])
def test_clear_solutions_with_the_books_stub_gives_the_student_notebook(nbgrader, lang, slug):
    out, _ = nbgrader
    theirs = nbformat.read(out / "ours" / lang / f"{slug}.ipynb", as_version=4)
    ours = student.student_notebook(with_outputs(read(lang, slug)), lang)
    assert _cells(theirs) == _cells(ours)
    assert _no_outputs(theirs) and _no_outputs(ours)


@pytest.mark.parametrize("lang, slug", PAIRS, ids=[f"{lang}/{slug}" for lang, slug in PAIRS])
def test_clear_solutions_with_nbgrader_s_stub_removes_and_keeps_the_same_code(nbgrader, lang, slug):
    out, _ = nbgrader
    teacher = read(lang, slug)
    theirs = nbformat.read(out / "default" / lang / f"{slug}.ipynb", as_version=4)
    ours = student.student_notebook(teacher, lang)
    assert _masked(theirs, NBGRADER_STUB) == _masked(ours, student.STUB[lang])
    # not a vacuous agreement: the teacher's notebook has solution code, and neither result keeps it
    inside = [_solution_lines(c.source) for c in teacher.cells if "solution" in c.metadata.get("tags", [])]
    elsewhere = {ln.strip() for c in teacher.cells if c.cell_type == "code" for ln in _outside_solutions(c.source)}
    only_in_solutions = {ln for lines in inside for ln in lines} - elsewhere
    assert len(only_in_solutions) >= 3
    for nb in (theirs, ours):
        kept = {ln.strip() for c in nb.cells if c.cell_type == "code" for ln in c.source.split("\n")}
        assert kept.isdisjoint(only_in_solutions), f"{lang}/{slug}: solution code left: {kept & only_in_solutions}"


def _solution_lines(source: str) -> list[str]:
    lines = source.split("\n")
    begin = next(i for i, ln in enumerate(lines) if ln.strip() == student.BEGIN)
    end = next(i for i, ln in enumerate(lines) if ln.strip() == student.END)
    return [ln.strip() for ln in lines[begin + 1 : end] if ln.strip()]


def _outside_solutions(source: str) -> list[str]:
    out, inside = [], False
    for ln in source.split("\n"):
        if ln.strip() in (student.BEGIN, student.END):
            inside = ln.strip() == student.BEGIN
        elif not inside:
            out.append(ln)
    return out


@pytest.mark.parametrize("lang, slug", PAIRS, ids=[f"{lang}/{slug}" for lang, slug in PAIRS])
def test_generate_assignment_releases_the_student_notebook(nbgrader, lang, slug):
    _, course = nbgrader
    released = nbformat.read(course / "release" / f"{lang}_{slug}" / f"{slug}.ipynb", as_version=4)
    ours = student.student_notebook(read(lang, slug), lang)
    assert _masked(released, NBGRADER_STUB) == _masked(ours, student.STUB[lang])
    graded = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("grade")]
    solutions = [c for c in released.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(graded) == len(solutions) >= 3
    assert all(c.metadata["nbgrader"]["locked"] and c.metadata["nbgrader"]["points"] == 1 for c in graded)
    assert all("ec.exercises.check_" in c.source for c in graded)


# ---------------------------------------------------------------------------------------------
# The marking itself, without nbgrader


@pytest.mark.parametrize("slug", chapters())
def test_nbgrader_marking_changes_only_metadata_and_the_colab_link(slug):
    for lang in ("ko", "en"):
        nb = read(lang, slug)
        marked = student.nbgrader_notebook(nb)
        for a, b in zip(nb.cells, marked.cells):
            if student.COLAB_LINK in a.source:
                assert student.COLAB_LINK not in b.source
            else:
                assert a.source == b.source
            meta = b.metadata.get("nbgrader")
            if "solution" in a.metadata.get("tags", []):
                assert meta["solution"] and not meta["grade"] and meta["grade_id"] in a.source
            elif meta is not None:
                assert meta["grade"] and meta["points"] == 1 and meta["grade_id"] in a.source
        ids = [c.metadata["nbgrader"]["grade_id"] for c in marked.cells if "nbgrader" in c.metadata]
        assert len(ids) == len(set(ids)) >= 6


def test_nbgrader_source_has_one_assignment_per_notebook(tmp_path):
    written = student.write_nbgrader_source(NB / "en", tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [f"{s}/{s}.ipynb" for s in chapters()]
    with pytest.raises(ValueError, match="src"):
        student.write_nbgrader_source(tmp_path / "missing", tmp_path)
