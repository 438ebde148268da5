"""Write student notebooks: every solution cell keeps its signature and loses its solution.

Solution cells are code cells tagged ``solution``; the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` are replaced by a stub that raises NotImplementedError, at the same indent.
Outputs are cleared. Usage::

    python -m ebm_course.student notebooks _build/student
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

COLAB_LINK = "colab.research.google.com/github/"
BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
STUB = {
    "ko": ["# 여기에 코드를 작성하자", "raise NotImplementedError()"],
    "en": ["# YOUR CODE HERE", "raise NotImplementedError()"],
}


def strip_solution(source: str, lang: str = "en") -> str:
    """Replace each BEGIN/END SOLUTION block of ``source`` by the stub."""
    lines = source.splitlines()
    out, inside, found = [], False, False
    for line in lines:
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError("nested ### BEGIN SOLUTION")
            inside, found = True, True
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + s for s in STUB[lang]]
        elif stripped == END:
            if not inside:
                raise ValueError("### END SOLUTION without ### BEGIN SOLUTION")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("### BEGIN SOLUTION without ### END SOLUTION")
    if not found:
        raise ValueError("a cell tagged 'solution' has no ### BEGIN SOLUTION block")
    return "\n".join(out)


def student_notebook(nb, lang: str = "en"):
    """A copy of the notebook ``nb`` (nbformat node) with solutions removed and outputs cleared."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type == "markdown" and COLAB_LINK in cell.source:
            # the link opens the teacher's notebook, solutions included
            cell.source = "\n".join(line for line in cell.source.splitlines() if COLAB_LINK not in line)
        if cell.cell_type != "code":
            continue
        cell.outputs = []
        cell.execution_count = None
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            cell.source = strip_solution(cell.source, lang)
            cell.metadata["tags"] = [t for t in tags if t not in ("solution", "hide-input", "hide-cell")]
    nb.metadata.pop("widgets", None)
    return nb


def language_of(path: Path) -> str:
    return "ko" if "ko" in path.parts else "en"


def write_student_notebooks(src: Path, dest: Path) -> list[Path]:
    import nbformat

    src, dest = Path(src), Path(dest)
    if not src.is_dir():
        raise ValueError(f"src must be a folder of notebooks (got {src})")
    written = []
    for path in sorted(src.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = nbformat.read(path, as_version=4)
        out = dest / path.relative_to(src)
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(nb, language_of(path)), out)
        written.append(out)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write student notebooks (solutions removed).")
    parser.add_argument("src", nargs="?", default="notebooks", help="folder with the teacher notebooks")
    parser.add_argument("dest", nargs="?", default="_build/student", help="output folder")
    args = parser.parse_args(argv)
    written = write_student_notebooks(Path(args.src), Path(args.dest))
    for path in written:
        print(path)
    print(f"{len(written)} student notebooks in {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = ["strip_solution", "student_notebook", "write_student_notebooks", "main"]
