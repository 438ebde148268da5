"""Runs inside the nbgrader environment (tests/test_nbgrader.py starts it there): nbgrader's own
preprocessors and its generate_assignment on the book's notebooks, marked for nbgrader.

    python tests/nbgrader_run.py MARKED COURSE OUT STUBS_JSON

* MARKED/<lang>/<slug>.ipynb (teacher notebooks with nbgrader metadata) go through ClearSolutions
  and ClearOutput twice: with nbgrader's own stub into OUT/default/, and with the stub of the
  notebook's language (STUBS_JSON: {"ko": ..., "en": ...}) into OUT/ours/.
* COURSE/source/<assignment>/<name>.ipynb become an nbgrader course's assignments:
  generate_assignment (the whole pipeline, with its metadata checks) writes COURSE/release/.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearOutput, ClearSolutions
from traitlets.config import Config


def clear(marked: Path, out: Path, stubs: dict[str, str]) -> int:
    n = 0
    for path in sorted(marked.rglob("*.ipynb")):
        rel = path.relative_to(marked)
        for variant, stub in (("default", None), ("ours", stubs[rel.parts[0]])):
            config = Config()
            if stub is not None:
                config.ClearSolutions.code_stub = {"python": stub}
            nb = nbformat.read(path, as_version=4)
            resources: dict = {}
            nb, resources = ClearSolutions(config=config).preprocess(nb, resources)
            nb, resources = ClearOutput(config=config).preprocess(nb, resources)
            dest = out / variant / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, dest)
        n += 1
    return n


def generate(course: Path) -> int:
    config = Config()
    config.CourseDirectory.root = str(course)
    api = NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)
    assignments = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    for assignment in assignments:
        result = api.generate_assignment(assignment, force=True, create=True)
        if not result["success"]:
            print(f"generate_assignment {assignment} failed:\n{result.get('error')}\n{result.get('log')}")
            sys.exit(1)
    return len(assignments)


def main(argv: list[str]) -> int:
    marked, course, out, stubs = Path(argv[0]), Path(argv[1]), Path(argv[2]), json.loads(argv[3])
    print(f"ClearSolutions + ClearOutput: {clear(marked, out, stubs)} notebooks")
    print(f"generate_assignment: {generate(course)} assignments")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
