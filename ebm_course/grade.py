"""Grade a folder of submitted notebooks into one CSV sheet::

    ebm-course-grade submissions/ --out grades.csv --timeout 300

Every ``*.ipynb`` under the folder runs from a fresh kernel, in a temporary working folder, with
the exercise checks in non-strict mode (a failed check shows its hint and the notebook goes on) and
with a time limit for the whole notebook. Each check the notebook calls records its outcome (see
``ebm_course.exercises._base.recorded``); the sheet has one row per notebook and exercise::

    notebook,exercise,passed
    kim/02_energy_gibbs.ipynb,check_gibbs,true

An exercise passes when the last call of its check in the run passed. The exercises of a notebook
are every check of the chapters whose checks it calls, so an exercise whose check cell was deleted
still gets its row (failed). A notebook that does not run to the end (unreadable, a cell that
raises, a dead kernel, past the time limit) gets one more row that says so, with ``passed`` false,
and the grading goes on with the next notebook.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import _check

__all__ = ["Row", "expected_exercises", "grade_notebook", "grade_folder", "main"]

HEADER = ("notebook", "exercise", "passed")
_CALL = re.compile(r"\b(check_\w+)\s*\(")


@dataclass(frozen=True)
class Row:
    notebook: str
    exercise: str
    passed: bool

    def cells(self) -> tuple[str, str, str]:
        return self.notebook, self.exercise, "true" if self.passed else "false"


def _checks():
    from . import exercises

    return exercises, {n: getattr(exercises, n) for n in exercises.__all__ if n.startswith("check_")}


def expected_exercises(nb) -> list[str]:
    """The checks a notebook (nbformat node) is graded on: those its code calls, and every other
    check of the same chapters (their ``ebm_course.exercises.chNN`` modules), in the chapters' order."""
    _, checks = _checks()
    called = [
        name for cell in nb.cells if cell.cell_type == "code" for name in _CALL.findall(cell.source) if name in checks
    ]
    modules = dict.fromkeys(checks[name].__module__ for name in called)
    expected = [name for module in modules for name, fn in checks.items() if fn.__module__ == module]
    return list(dict.fromkeys(expected + called))


def _outcomes(log: Path) -> dict[str, bool]:
    """The last recorded outcome of each check."""
    found: dict[str, bool] = {}
    if log.is_file():
        for line in log.read_text(encoding="utf-8").splitlines():
            try:
                entry = json.loads(line)
                found[str(entry["exercise"])] = entry["passed"] is True
            except (ValueError, KeyError, TypeError):
                continue  # a line the checks did not write
    return found


def _cell_errors(nb) -> list[str]:
    errors = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "error":
                errors.append(f"cell {i + 1}: {out.get('ename')}: {out.get('evalue')}")
    return errors


async def _run(client, env: dict, timeout: float) -> None:
    await asyncio.wait_for(client.async_execute(env=env), timeout)


def grade_notebook(path, timeout: float = 300, kernel_name: str = "python3", name: str | None = None) -> list[Row]:
    """Run one notebook and return its rows (see the module's docstring)."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path must be a notebook file (got {path})")
    timeout = _check.positive_number(timeout, "timeout")
    name = name or path.name
    try:
        nb = nbformat.read(path, as_version=4)
        expected = expected_exercises(nb)
    except Exception as err:  # not JSON, not a notebook: say so and go on
        return [Row(name, f"(did not run: unreadable notebook: {type(err).__name__}: {err})", False)]

    problem = None
    with tempfile.TemporaryDirectory(prefix="ebm-grade-") as work:
        log = Path(work) / "checks.jsonl"
        env = {
            **os.environ,
            "EBM_COURSE_STRICT_CHECKS": "0",
            "EBM_COURSE_NO_PROGRESS": "1",
            "EBM_COURSE_GRADE_LOG": str(log),
        }
        client = NotebookClient(
            nb,
            timeout=None,  # the limit is the whole notebook's (see _run)
            kernel_name=kernel_name,
            allow_errors=True,
            shutdown_kernel="immediate",
            resources={"metadata": {"path": work}},
        )
        start = time.monotonic()
        try:
            asyncio.run(_run(client, env, timeout))
        except Exception as err:  # past the limit (its kernel is shut down), a dead kernel, ...
            if time.monotonic() - start >= timeout:
                problem = f"stopped after the time limit of {timeout:g} s"
            else:
                problem = f"{type(err).__name__}: {err}"
        outcomes = _outcomes(log)

    rows = [Row(name, ex, outcomes.get(ex, False)) for ex in expected]
    rows += [Row(name, ex, ok) for ex, ok in outcomes.items() if ex not in expected]
    errors = _cell_errors(nb)
    if problem is None and errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        problem = f"error in {errors[0]}{more}"
    if problem is not None:
        rows.append(Row(name, f"(did not run: {problem})", False))
    if not rows:
        rows.append(Row(name, "(no exercise checks in this notebook)", False))
    return rows


def grade_folder(folder, out, timeout: float = 300, kernel_name: str = "python3", progress=None) -> list[Row]:
    """Grade every notebook under ``folder`` (sorted by path) and write the sheet to ``out``."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be a folder of notebooks (got {folder})")
    timeout = _check.positive_number(timeout, "timeout")
    paths = sorted(p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    rows: list[Row] = []
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for path in paths:
            found = grade_notebook(path, timeout, kernel_name, name=path.relative_to(folder).as_posix())
            writer.writerows(r.cells() for r in found)
            f.flush()
            rows += found
            if progress:
                progress(found)
    return rows


def _report(rows: list[Row]) -> None:
    exercises = [r for r in rows if not r.exercise.startswith("(")]
    passed = sum(r.passed for r in exercises)
    note = " · did not run to the end" if any(r.exercise.startswith("(") for r in rows) else ""
    print(f"{rows[0].notebook}: {passed}/{len(exercises)} exercises passed{note}", file=sys.stderr)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Run every notebook in DIR with the checks in non-strict mode and write a grade sheet."
    )
    parser.add_argument("dir", help="folder of submitted notebooks (searched recursively)")
    parser.add_argument("--out", default="grades.csv", help="the CSV sheet to write (default: grades.csv)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds allowed per notebook (default: 300)")
    parser.add_argument("--kernel", default="python3", help="Jupyter kernel to run the notebooks in")
    args = parser.parse_args(argv)
    try:
        rows = grade_folder(args.dir, args.out, args.timeout, args.kernel, progress=_report)
    except ValueError as err:
        parser.error(str(err))
    print(f"{len({r.notebook for r in rows})} notebooks, {len(rows)} rows in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
