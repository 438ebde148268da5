"""Every notebook of both languages, run once, top to bottom, the way a reader runs it:

* from a copy in an empty folder, with only the installed package (what Colab has), and with the
  network cut (a socket to anything but this machine fails);
* cell by cell: a cell that raises is reported with its number, its first line and its traceback;
* then, in the same kernel, after every cell has run ("Run all"), each explorer's live slider is
  moved to every value the book pre-renders, to both ends and back to its starting value: each
  picture must equal, pixel for pixel, the frame the explorer showed when it was displayed;
* the student notebook (solutions replaced by stubs) shares the chapter's cells up to the first
  solution cell, so its remaining cells run in the same kernel at that point, before the teacher's:
  each check must say, in the notebook's language, that the exercise is not implemented yet.

All tests of one notebook share its one execution (``--dist loadgroup`` keeps them on one worker).
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import shutil
import textwrap
from dataclasses import dataclass, field

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient
from nbtools import NB, chapters

from ebm_course import student

BLOCK_NETWORK = textwrap.dedent(
    """
    import socket

    _connect = socket.socket.connect

    def _local_only(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")):
            return _connect(self, address)
        raise OSError(f"network access blocked in this test: {address!r}")

    socket.socket.connect = _local_only
    """
)

STRICT = 'import os\nos.environ["EBM_COURSE_STRICT_CHECKS"] = "{}"'

# Runs in the notebook's kernel after the last cell: moves each displayed explorer's live slider
# and prints, as JSON, the picture the widget then shows at each value.
REDRAW_EXPLORERS = textwrap.dedent(
    """
    def _redraw_explorers():
        import base64
        import json

        from ebm_course.widgets import Explorer

        report = []
        for ex in Explorer.displayed():
            slider, image = ex.widget().children
            values = [float(v) for v in ex.values]
            start = float(slider.value)
            frames = [float(v) for v in ex.frame_values()]
            visit = list(dict.fromkeys(frames + [values[0], values[-1]])) + [start]  # and back
            shown = []
            for v in visit:
                if slider.value == v and len(values) > 1:  # a slider redraws on a change only
                    slider.value = next(u for u in values if u != v)
                slider.value = v
                shown.append([v, base64.b64encode(bytes(image.value)).decode("ascii")])
            report.append(
                {
                    "model_id": ex.widget().model_id,
                    "label": ex.label,
                    "start": start,
                    "ends": [values[0], values[-1]],
                    "frames": frames,
                    "labels": [f"{ex.label} = {ex.fmt.format(v)}" for v in frames],
                    "shown": shown,
                    "left_at": float(slider.value),
                }
            )
        print(json.dumps(report))


    _redraw_explorers()
    del _redraw_explorers
    """
)

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOT_YET = {"en": "not implemented yet", "ko": "아직 구현되지 않았다"}
CHECK_CALL = re.compile(r"ec\.exercises\.check_\w+\(")


@dataclass
class Run:
    """One notebook's execution: its cells with their outputs, and what ran after them."""

    cells: list  # the teacher notebook's cells, executed
    student_cells: list = field(default_factory=list)  # the student notebook's cells from the first solution on
    explorers: list = field(default_factory=list)  # what _redraw_explorers printed
    explorer_errors: list = field(default_factory=list)
    files_left: list = field(default_factory=list)


def _execute(slug: str, lang: str, tmp) -> Run:
    work = tmp / "work"
    work.mkdir()
    shutil.copy(NB / lang / f"{slug}.ipynb", work)
    site = tmp / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(BLOCK_NETWORK, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(site), "EBM_COURSE_STRICT_CHECKS": "1"}

    nb = nbformat.read(work / f"{slug}.ipynb", as_version=4)
    pupil = student.student_notebook(nb, lang)
    first = next((i for i, c in enumerate(nb.cells) if "solution" in c.metadata.get("tags", [])), len(nb.cells))
    # The student notebook is the teacher's up to its first solution cell (student_notebook
    # changes no code cell before it): what follows is where the two differ.
    for a, b in zip(nb.cells[:first], pupil.cells[:first], strict=True):
        assert a.cell_type != "code" or a.source == b.source

    # One list of every cell the kernel runs (nbclient stores each executed cell back into it):
    # the teacher's, the student's from the first solution on, and three of the test's own.
    n, m = len(nb.cells), len(pupil.cells) - first
    own = [nbformat.v4.new_code_cell(s) for s in (STRICT.format("0"), STRICT.format("1"), REDRAW_EXPLORERS)]
    nb.cells = nb.cells + pupil.cells[first:] + own
    order = [*range(first), n + m, *range(n, n + m), n + m + 1, *range(first, n), n + m + 2]
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", allow_errors=True, resources={"metadata": {"path": str(work)}}
    )
    with client.setup_kernel(env=env):
        for i in order:
            client.execute_cell(nb.cells[i], i, store_history=i < n)
    run = Run(cells=nb.cells[:n], student_cells=nb.cells[n : n + m])
    probe = nb.cells[-1]
    printed = "".join(o.text for o in probe.outputs if o.output_type == "stream" and o.name == "stdout")
    run.explorers = json.loads(printed) if printed else []
    run.explorer_errors = ["\n".join(o.traceback) for o in probe.outputs if o.output_type == "error"]
    run.files_left = sorted(os.listdir(work))
    return run


_RUNS: dict = {}


@pytest.fixture(scope="session")
def executed(tmp_path_factory):
    def get(slug: str, lang: str) -> Run:
        key = (slug, lang)
        if key not in _RUNS:
            try:
                _RUNS[key] = _execute(slug, lang, tmp_path_factory.mktemp(f"{lang}-{slug}"))
            except Exception as err:  # a timeout or a dead kernel: every test of the notebook reports it
                _RUNS[key] = err
        if isinstance(_RUNS[key], Exception):
            raise _RUNS[key]
        return _RUNS[key]

    return get


NOTEBOOKS = [
    pytest.param(slug, lang, id=f"{lang}-{slug}", marks=pytest.mark.xdist_group(f"{lang}-{slug}"))
    for slug in chapters()
    for lang in ("ko", "en")
]


def each_notebook(test):
    return pytest.mark.slow(pytest.mark.parametrize(("slug", "lang"), NOTEBOOKS)(test))


def _code(cells):
    return [(i, c) for i, c in enumerate(cells) if c.cell_type == "code"]


@each_notebook
def test_every_cell_runs_from_an_empty_folder_without_network(executed, slug, lang):
    run = executed(slug, lang)
    failed = []
    for i, cell in _code(run.cells):
        for o in cell.outputs:
            if o.output_type == "error":
                first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
                trace = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(o.traceback))
                failed.append(f"cell {i} ({first_line!r}) raised {o.ename}: {o.evalue}\n{trace}")
    assert not failed, f"{lang}/{slug}: {len(failed)} cell(s) failed, the first is the cause:\n\n" + "\n\n".join(failed)


@each_notebook
def test_nothing_is_written_to_stderr(executed, slug, lang):
    run = executed(slug, lang)
    stderr = [
        (i, o.text) for i, c in _code(run.cells) for o in c.outputs if o.output_type == "stream" and o.name == "stderr"
    ]
    assert stderr == [], f"warnings on stderr (a missing glyph, say): {stderr}"


@each_notebook
def test_every_plt_show_shows_a_figure(executed, slug, lang):
    run = executed(slug, lang)
    for i, cell in _code(run.cells):
        if "plt.show()" in cell.source:
            kinds = [k for o in cell.outputs for k in o.get("data", {})]
            assert "image/png" in kinds, f"code cell {i} calls plt.show() but shows no figure"


@each_notebook
def test_the_notebook_writes_no_file_next_to_itself(executed, slug, lang):
    assert executed(slug, lang).files_left == [f"{slug}.ipynb"]


def _pixels(png_b64: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(base64.b64decode(png_b64))).convert("RGB"))


def _book_frames(cells) -> dict:
    """model id -> (cell number, frames, labels, start index) of each explorer output of the cells."""
    found = {}
    for i, cell in _code(cells):
        for o in cell.outputs:
            data = o.get("data", {})
            if WIDGET_VIEW in data and 'class="ebm-explorer"' in data.get("text/html", ""):
                html = data["text/html"]
                frames = json.loads(re.search(r"var frames=(\[.*?\]);", html).group(1))
                labels = json.loads(re.search(r"var labels=(\[.*?\]);", html).group(1))
                start = int(re.search(r'<input type="range" [^>]*value="(\d+)"', html).group(1))
                found[data[WIDGET_VIEW]["model_id"]] = (i, frames, labels, start)
    return found


@each_notebook
def test_after_run_all_each_live_slider_draws_the_books_frame_at_every_value(executed, slug, lang):
    run = executed(slug, lang)
    assert run.explorer_errors == [], run.explorer_errors
    book = _book_frames(run.cells)
    live = {e["model_id"]: e for e in run.explorers if e["model_id"] not in _book_frames(run.student_cells)}
    assert set(live) == set(book), "every explorer the notebook shows is redrawn, and only those"
    problems = []
    for model_id, (cell, frames, labels, start) in sorted(book.items(), key=lambda kv: kv[1][0]):
        e = live[model_id]
        name = f"explorer {e['label']} of cell {cell}"
        assert labels == e["labels"], f"{name}: the book's frames are not those of frame_values()"
        assert e["frames"][start] == e["start"], f"{name}: the book starts at another value than the slider"
        for end in e["ends"]:
            assert end in e["frames"], f"{name}: the book does not pre-render the slider's end {end:g}"
        differ = []
        for v, png in e["shown"]:
            want, got = _pixels(frames[e["frames"].index(v)]), _pixels(png)
            if want.shape != got.shape or not np.array_equal(want, got):
                share = 1.0 if want.shape != got.shape else float((want != got).any(axis=2).mean())
                differ.append(f"{e['label']} = {v:g} ({share:.1%} of the pixels)")
        assert e["left_at"] == e["start"], f"{name}: the slider did not come back to its start"
        if differ:
            problems.append(f"{name}: {len(differ)} of {len(e['shown'])} pictures differ: " + ", ".join(differ))
    assert not problems, f"{lang}/{slug} after Run all:\n" + "\n".join(problems)


@each_notebook
def test_student_notebook_runs_and_every_check_says_not_implemented(executed, slug, lang):
    run = executed(slug, lang)
    code = _code(run.student_cells)
    errors = [f"{o.ename}: {o.evalue}" for _, c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    checks = [c for _, c in code if CHECK_CALL.search(c.source)]
    assert len(checks) >= 3
    for cell in checks:
        shown = " ".join(str(v) for o in cell.outputs for v in o.get("data", {}).values()) + " ".join(
            o.get("text", "") for o in cell.outputs
        )
        assert NOT_YET[lang] in shown, f"{lang}/{slug}: the check after a stub says {shown!r}"
