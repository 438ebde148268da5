"""A student notebook (solutions removed) runs top to bottom: each check reports, in the notebook's
language, that the exercise is not implemented yet, and nothing else in the chapter depends on a
solution."""

from __future__ import annotations

import re

import pytest
from nbclient import NotebookClient
from nbtools import chapters, read

from ebm_course import student

NOT_YET = {"en": "not implemented yet", "ko": "아직 구현되지 않았다"}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", chapters())
def test_student_notebook_runs_and_every_check_says_not_implemented(slug, lang, tmp_path, monkeypatch):
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "0")  # a student's failed check shows a hint, it does not raise
    monkeypatch.chdir(tmp_path)
    nb = student.student_notebook(read(lang, slug), lang)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [f"{o.ename}: {o.evalue}" for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == []
    checks = [c for c in code if re.search(r"ec\.exercises\.check_\w+\(", c.source)]
    assert len(checks) >= 3
    for cell in checks:
        shown = " ".join(str(v) for o in cell.outputs for v in o.get("data", {}).values()) + " ".join(
            o.get("text", "") for o in cell.outputs
        )
        assert NOT_YET[lang] in shown, f"{lang}/{slug}: the check after a stub says {shown!r}"
