"""The grade sheet: ``ebm-course-grade DIR --out grades.csv`` on a folder of submissions.

The folder holds chapter 2's exercises as a student receives them (every exercise fails) and as
the teacher wrote them (every exercise passes), a notebook that runs past the time limit and a
file that is not a notebook. To keep each chapter's number of runs per ``make test`` where it is,
the two chapter notebooks hold the chapter's setup cells and its exercise section, not the whole
chapter (the whole chapter runs under nbval, in the book and as a student notebook).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import nbformat
import pytest
from nbtools import chapters, read

from ebm_course import exercises, grade, student

SLUG = "02_energy_gibbs"


def exercise_section(nb):
    """The notebook's cells before its first section (title, setup, imports) and its exercise
    section (from the heading above the first solution cell to the end)."""
    cells = nb.cells
    first_solution = next(i for i, c in enumerate(cells) if "solution" in c.metadata.get("tags", []))
    heading = max(
        i for i in range(first_solution) if cells[i].cell_type == "markdown" and "\n## " in "\n" + cells[i].source
    )
    first_section = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and "\n## " in "\n" + c.source)
    out = nbformat.v4.new_notebook(metadata=nb.metadata)
    out.cells = cells[:first_section] + cells[heading:]
    return out


CHAPTER_CHECKS = [n for n in exercises.ch02.__all__ if n.startswith("check_")]


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    (folder / "lee").mkdir()
    nbformat.write(student.student_notebook(exercise_section(read("ko", SLUG)), "ko"), folder / "lee" / f"{SLUG}.ipynb")
    nbformat.write(exercise_section(read("en", SLUG)), folder / "park.ipynb")
    (folder / "broken.ipynb").write_text("{ not a notebook", encoding="utf-8")
    out = tmp_path_factory.mktemp("sheet") / "grades.csv"
    done = subprocess.run(
        [sys.executable, "-m", "ebm_course.grade", str(folder), "--out", str(out), "--timeout", "300"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "EBM_COURSE_STRICT_CHECKS": "1"},  # the grader must turn it off
    )
    assert done.returncode == 0, done.stderr
    with out.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return rows, done.stderr


def _rows_of(rows, notebook):
    return [(ex, passed) for nb, ex, passed in rows[1:] if nb == notebook]


def test_sheet_has_the_header_and_every_notebook_in_path_order(graded):
    rows, _ = graded
    assert rows[0] == ["notebook", "exercise", "passed"]
    assert list(dict.fromkeys(r[0] for r in rows[1:])) == ["broken.ipynb", f"lee/{SLUG}.ipynb", "park.ipynb"]


def test_untouched_student_notebook_fails_every_exercise_and_runs_to_the_end(graded):
    rows, _ = graded
    assert len(CHAPTER_CHECKS) >= 3
    assert _rows_of(rows, f"lee/{SLUG}.ipynb") == [(c, "false") for c in CHAPTER_CHECKS]


def test_solution_notebook_passes_every_exercise(graded):
    rows, _ = graded
    assert _rows_of(rows, "park.ipynb") == [(c, "true") for c in CHAPTER_CHECKS]


def test_notebook_past_the_time_limit_gets_a_row_and_keeps_what_it_recorded(tmp_path):
    slow = nbformat.v4.new_notebook(metadata=read("en", SLUG).metadata)
    slow.cells = [
        nbformat.v4.new_code_cell("import time\n\nimport torch\n\nimport ebm_course as ec"),
        nbformat.v4.new_code_cell("ec.exercises.check_gibbs(lambda E, beta: torch.softmax(-beta * E, 0))"),
        nbformat.v4.new_code_cell("time.sleep(600)"),
        nbformat.v4.new_code_cell("ec.exercises.check_nll_discrete(lambda E, idx, beta: 0.0)"),
    ]
    nbformat.write(slow, tmp_path / "slow.ipynb")
    rows = grade.grade_notebook(tmp_path / "slow.ipynb", timeout=20)
    assert [(r.exercise, r.passed) for r in rows[:-1]] == [(c, c == "check_gibbs") for c in CHAPTER_CHECKS]
    assert rows[-1].exercise == "(did not run: stopped after the time limit of 20 s)" and not rows[-1].passed


def test_a_cell_that_raises_gets_a_row_and_the_notebook_goes_on(tmp_path):
    nb = nbformat.v4.new_notebook(metadata=read("en", SLUG).metadata)
    nb.cells = [
        nbformat.v4.new_code_cell("import ebm_course as ec"),
        nbformat.v4.new_code_cell("def my_gibbs(E, beta):\n    return undefined_name"),
        nbformat.v4.new_code_cell("my_gibbs(1, 2)"),
        nbformat.v4.new_code_cell("ec.exercises.check_mask_noise(lambda y, p, generator: y)"),
    ]
    nbformat.write(nb, tmp_path / "raises.ipynb")
    rows = [(r.exercise, r.passed) for r in grade.grade_notebook(tmp_path / "raises.ipynb", timeout=120)]
    ch05 = [n for n in exercises.ch05.__all__ if n.startswith("check_")]
    assert rows == [(c, False) for c in ch05] + [
        ("(did not run: error in cell 3: NameError: name 'undefined_name' is not defined)", False)
    ]


def test_unreadable_notebook_gets_a_row_saying_so(graded):
    rows, _ = graded
    (only,) = _rows_of(rows, "broken.ipynb")
    assert only[0].startswith("(did not run: unreadable notebook") and only[1] == "false"


# ---------------------------------------------------------------------------------------------
# The pieces, without a kernel


def test_expected_exercises_are_the_chapters_checks_even_when_a_check_cell_is_deleted():
    nb = read("en", SLUG)
    assert grade.expected_exercises(nb) == CHAPTER_CHECKS
    nb.cells = [c for c in nb.cells if "check_beta_for_mass(" not in c.source]
    assert grade.expected_exercises(nb) == CHAPTER_CHECKS
    nb.cells = [c for c in nb.cells if "ec.exercises" not in c.source]
    assert grade.expected_exercises(nb) == []


def test_a_check_records_its_last_outcome_for_the_grader(tmp_path, monkeypatch):
    import torch

    log = tmp_path / "log.jsonl"
    monkeypatch.setenv("EBM_COURSE_GRADE_LOG", str(log))
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "0")
    assert not exercises.check_gibbs(lambda E, beta: E)
    assert exercises.check_gibbs(lambda E, beta: torch.softmax(-beta * E, 0))
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError):
        exercises.check_soft_min(lambda E, beta: E)
    lines = [json.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
    assert lines == [
        {"exercise": "check_gibbs", "passed": False},
        {"exercise": "check_gibbs", "passed": True},
        {"exercise": "check_soft_min", "passed": False},
    ]
    assert grade._outcomes(log) == {"check_gibbs": True, "check_soft_min": False}


def test_without_the_grader_a_check_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("EBM_COURSE_GRADE_LOG", raising=False)
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "0")
    monkeypatch.chdir(tmp_path)
    exercises.check_gibbs(lambda E, beta: E)
    assert list(tmp_path.iterdir()) == []


def test_every_exported_check_records_and_keeps_its_name_and_docstring():
    for name in exercises.__all__:
        if name.startswith("check_"):
            fn = getattr(exercises, name)
            assert fn.__name__ == name and fn.__doc__ and fn.__wrapped__ is not None


def test_grade_rejects_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="folder"):
        grade.grade_folder(tmp_path / "missing", tmp_path / "g.csv")
    with pytest.raises(ValueError, match="path"):
        grade.grade_notebook(tmp_path / "missing.ipynb")
    with pytest.raises(TypeError, match="timeout"):
        grade.grade_folder(tmp_path, tmp_path / "g.csv", timeout="60")
    with pytest.raises(ValueError, match="timeout"):
        grade.grade_folder(tmp_path, tmp_path / "g.csv", timeout=0)


def test_console_script_is_declared_next_to_the_student_command(root):
    import tomllib

    scripts = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["ebm-course-grade"] == "ebm_course.grade:main"
    assert scripts["ebm-course-student"] == "ebm_course.student:main"


@pytest.mark.parametrize("slug", chapters())
def test_a_chapters_checks_are_the_ones_its_notebooks_call(slug):
    """The grade sheet fails a student on every check of the chapter's module: each must be an exercise."""
    module = getattr(exercises, f"ch{slug[:2]}")
    exported = [n for n in module.__all__ if n.startswith("check_")]
    for lang in ("ko", "en"):
        called = [m for c in read(lang, slug).cells if c.cell_type == "code" for m in grade._CALL.findall(c.source)]
        assert called == exported, (
            f"ebm_course.exercises.{module.__name__.rsplit('.', 1)[1]} exports {exported}, "
            f"notebooks/{lang}/{slug} calls {called}"
        )
