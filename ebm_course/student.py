"""Write student notebooks: every solution cell keeps its signature and loses its solution.

Solution cells are code cells tagged ``solution``; the lines between ``### BEGIN SOLUTION`` and
``### END SOLUTION`` are replaced by a stub that raises NotImplementedError, at the same indent.
Outputs are cleared. Next to the notebooks, one handout per language is zipped: the language's
student notebooks and a README in that language on how to open them. Usage::

    python -m ebm_course.student notebooks _build/student

With ``--nbgrader``, the command writes the teacher notebooks instead, marked for nbgrader (see
``nbgrader_notebook``), one assignment folder per notebook, for an nbgrader course's ``source/``::

    python -m ebm_course.student --nbgrader notebooks/en course/source
"""

from __future__ import annotations

import argparse
import re
import sys
import zipfile
from pathlib import Path

COLAB_LINK = "colab.research.google.com/github/"
CHECK_CALL = re.compile(r"ec\.exercises\.(check_\w+)\(")
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


def _drop_colab_link(cell) -> None:
    """The Colab link opens the teacher's notebook, solutions included: a student's copy has none."""
    if cell.cell_type == "markdown" and COLAB_LINK in cell.source:
        cell.source = "\n".join(line for line in cell.source.splitlines() if COLAB_LINK not in line)


def student_notebook(nb, lang: str = "en"):
    """A copy of the notebook ``nb`` (nbformat node) with solutions removed and outputs cleared."""
    import copy

    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        _drop_colab_link(cell)
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


def _check_cells(nb) -> dict[int, str]:
    """Index of each code cell that calls an exercise check right after a solution cell -> the check."""
    found, after_solution = {}, False
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        m = CHECK_CALL.search(cell.source)
        if after_solution and m:
            found[i] = m.group(1)
        after_solution = "solution" in cell.metadata.get("tags", [])
    return found


def nbgrader_notebook(nb):
    """A copy of the teacher notebook ``nb`` with nbgrader's cell metadata: each cell tagged
    ``solution`` becomes an nbgrader solution cell (its id: the function it defines), and the check
    cell after it a locked, autograded test cell worth one point (its id: the check). The Colab link
    goes, as in ``student_notebook``; sources, tags and every other cell stay as they are, so that
    nbgrader's ClearSolutions removes what ``student_notebook`` removes."""
    import copy

    nb = copy.deepcopy(nb)
    checks = _check_cells(nb)
    used: set[str] = set()

    def unique(name: str) -> str:
        n, k = name, 2
        while n in used:
            n, k = f"{name}_{k}", k + 1
        used.add(n)
        return n

    for i, cell in enumerate(nb.cells):
        _drop_colab_link(cell)
        if cell.cell_type != "code":
            continue
        if "solution" in cell.metadata.get("tags", []):
            m = re.search(r"^def (\w+)", cell.source, re.M)
            meta = {"solution": True, "grade": False, "locked": False}
            meta["grade_id"] = unique(m.group(1) if m else f"solution_{i}")
        elif i in checks:
            meta = {"solution": False, "grade": True, "locked": True, "points": 1, "grade_id": unique(checks[i])}
        else:
            continue
        cell.metadata["nbgrader"] = {**meta, "task": False, "schema_version": 3}
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


HANDOUT = "ebm-course-student-{lang}"
README = {
    "en": """# Student notebooks: SSL, EBM with details and examples

One Jupyter notebook per chapter of the companion book to the lecture "SSL, EBM with details and
examples" (NYU Deep Learning, week 7, part 2). Each chapter ends with exercises: a function with its
signature, its docstring and `raise NotImplementedError()` where your code goes. The cell after it
checks your function and says whether it is right, or gives a hint.

## Open in Colab

1. Open https://colab.research.google.com, choose **File > Upload notebook** and pick a chapter's
   `.ipynb` file from this folder.
2. Choose **Runtime > Run all**. The first code cell installs the book's package, `ebm_course`, from
   {repo} (this takes a minute the first time).
3. Replace each `raise NotImplementedError()` with your code and run the check cell after it.
4. Save your work with **File > Download > Download .ipynb**: that is the file you hand in.

## Open in Jupyter

You need Python 3.10 or newer. In this folder, install the package and JupyterLab, then open the
notebooks:

```bash
python -m venv .venv
.venv/bin/pip install "ebm-course @ git+{repo}@{ref}" jupyterlab
.venv/bin/jupyter lab
```

(On Windows, use `.venv\\Scripts\\` in place of `.venv/bin/`.) Run the notebook from the top, fill in
each exercise and run its check. Hand in the `.ipynb` file.
""",
    "ko": """# 학생용 노트북: SSL, EBM with details and examples

이 폴더에는 강의 「SSL, EBM with details and examples」(NYU 딥러닝 7주차 두 번째 강의)를 따라 읽는
동반서의 주피터(Jupyter) 노트북이 장마다 하나씩 들어 있다. 장의 끝에는 연습 문제가 있다. 연습 문제마다
함수의 시그니처와 독스트링이 주어지고, 코드를 쓸 자리에는 `raise NotImplementedError()`가 있다. 바로
다음 셀이 그 함수를 검사해서, 맞으면 통과를 알리고 틀리면 힌트를 준다.

## Colab에서 열기

1. https://colab.research.google.com 에 들어가 **파일 > 노트북 업로드**를 누르고, 이 폴더에서 원하는
   장의 `.ipynb` 파일을 고른다.
2. **런타임 > 모두 실행**을 누른다. 첫 코드 셀이 이 책의 패키지 `ebm_course`를 `{repo}`에서
   설치한다. 처음에는 1분쯤 걸린다.
3. `raise NotImplementedError()`를 지우고 그 자리에 코드를 쓴 다음, 바로 다음 셀의 검사를 실행한다.
4. **파일 > 다운로드 > .ipynb 다운로드**로 작업을 저장한다. 제출할 파일이 바로 이것이다.

## Jupyter에서 열기

Python 3.10 이상이 필요하다. 이 폴더에서 패키지와 JupyterLab을 설치한 다음 노트북을 연다.

```bash
python -m venv .venv
.venv/bin/pip install "ebm-course @ git+{repo}@{ref}" jupyterlab
.venv/bin/jupyter lab
```

(Windows에서는 `.venv/bin/` 대신 `.venv\\Scripts\\`를 쓴다.) 노트북을 처음부터 실행하고, 연습 문제를
채운 다음 검사 셀을 실행한다. 제출하는 것은 `.ipynb` 파일이다.
""",
}
_REPO = re.compile(r'^REPO = "([^"]+)"$', re.M)
_REF = re.compile(r'^REF = "([^"]+)"$', re.M)


def _repository(notebooks: list[Path]) -> tuple[str, str]:
    """The repository and ref the notebooks' install cell uses."""
    import nbformat

    for path in notebooks:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        repo, ref = _REPO.search(code), _REF.search(code)
        if repo and ref:
            return repo.group(1), ref.group(1)
    raise ValueError("no notebook has an install cell with REPO = ... and REF = ...")


def write_handouts(dest: Path) -> list[Path]:
    """Zip ``dest/<lang>/*.ipynb`` with the language's README into ``dest/ebm-course-student-<lang>.zip``."""
    dest = Path(dest)
    zips = []
    for lang in ("ko", "en"):
        notebooks = sorted((dest / lang).glob("*.ipynb"))
        if not notebooks:
            continue
        repo, ref = _repository(notebooks)
        folder = HANDOUT.format(lang=lang)
        path = dest / f"{folder}.zip"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
            entries = [("README.md", README[lang].format(repo=repo, ref=ref).encode("utf-8"))]
            entries += [(nb.name, nb.read_bytes()) for nb in notebooks]
            for name, data in entries:
                info = zipfile.ZipInfo(f"{folder}/{name}", date_time=(2026, 1, 1, 0, 0, 0))  # the same bytes every time
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                z.writestr(info, data)
        zips.append(path)
    return zips


def write_nbgrader_source(src: Path, dest: Path) -> list[Path]:
    """Each teacher notebook under ``src``, marked for nbgrader, as ``dest/<assignment>/<name>.ipynb``:
    the assignment is the notebook's path under ``src`` with ``_`` for ``/`` (``02_energy_gibbs`` for
    ``src=notebooks/en``, ``en_02_energy_gibbs`` for ``src=notebooks``)."""
    import nbformat

    src, dest = Path(src), Path(dest)
    if not src.is_dir():
        raise ValueError(f"src must be a folder of notebooks (got {src})")
    written = []
    for path in sorted(src.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        assignment = path.relative_to(src).with_suffix("").as_posix().replace("/", "_")
        out = dest / assignment / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbgrader_notebook(nbformat.read(path, as_version=4)), out)
        written.append(out)
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Write student notebooks (solutions removed).")
    parser.add_argument("src", nargs="?", default="notebooks", help="folder with the teacher notebooks")
    parser.add_argument("dest", nargs="?", default="_build/student", help="output folder")
    parser.add_argument(
        "--nbgrader",
        action="store_true",
        help="write the teacher notebooks marked for nbgrader, one assignment folder each (for source/)",
    )
    args = parser.parse_args(argv)
    try:
        if args.nbgrader:
            written = write_nbgrader_source(Path(args.src), Path(args.dest))
            what = "nbgrader source notebooks"
        else:
            written = write_student_notebooks(Path(args.src), Path(args.dest))
            written += write_handouts(Path(args.dest))
            what = "student notebooks and handouts"
    except ValueError as err:
        parser.error(str(err))
    for path in written:
        print(path)
    print(f"{len(written)} {what} in {args.dest}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

__all__ = [
    "strip_solution",
    "student_notebook",
    "nbgrader_notebook",
    "write_student_notebooks",
    "write_handouts",
    "write_nbgrader_source",
    "main",
]
