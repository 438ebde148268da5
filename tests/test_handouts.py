"""``make student`` also writes one handout per language: a zip with the language's student notebooks
and a README, in that language, on opening them in Colab or Jupyter."""

from __future__ import annotations

import re
import zipfile

import nbformat
import pytest
from nbtools import NB, ROOT, chapters

from ebm_course import student, sync

HANGUL = re.compile(r"[\uac00-\ud7a3]")


@pytest.fixture(scope="module")
def handouts(tmp_path_factory):
    dest = tmp_path_factory.mktemp("student")
    assert student.main([str(NB), str(dest)]) == 0
    return dest


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_each_zip_holds_the_readme_and_that_languages_student_notebooks(handouts, lang):
    folder = f"ebm-course-student-{lang}"
    with zipfile.ZipFile(handouts / f"{folder}.zip") as z:
        assert z.testzip() is None
        names = sorted(z.namelist())
        assert names == sorted([f"{folder}/README.md"] + [f"{folder}/{slug}.ipynb" for slug in chapters()])
        for slug in chapters():
            data = z.read(f"{folder}/{slug}.ipynb")
            assert data == (handouts / lang / f"{slug}.ipynb").read_bytes(), "the zip holds the student notebook"
            nb = nbformat.reads(data.decode("utf-8"), as_version=4)
            assert f'LANG = "{lang}"' in "\n".join(c.source for c in nb.cells)
            assert all("BEGIN SOLUTION" not in c.source for c in nb.cells)
            assert sum("raise NotImplementedError()" in c.source for c in nb.cells) >= 3
        readme = z.read(f"{folder}/README.md").decode("utf-8")
    url, branch = sync.repository(ROOT)
    assert f"git+{url}@{branch}" in readme and "colab.research.google.com" in readme
    assert "jupyter lab" in readme and "NotImplementedError" in readme
    if lang == "ko":
        assert len(HANGUL.findall(readme)) > 200
        assert "**파일 > 노트북 업로드**" in readme and "**런타임 > 모두 실행**" in readme
    else:
        assert not HANGUL.search(readme)
        assert "**File > Upload notebook**" in readme and "**Runtime > Run all**" in readme


def test_the_zips_are_the_same_bytes_every_time(handouts, tmp_path):
    student.main([str(NB), str(tmp_path)])
    for lang in ("ko", "en"):
        name = f"ebm-course-student-{lang}.zip"
        assert (tmp_path / name).read_bytes() == (handouts / name).read_bytes()


def test_a_folder_with_one_language_gets_one_zip(tmp_path):
    student.write_student_notebooks(NB / "en", tmp_path / "en")
    assert [p.name for p in student.write_handouts(tmp_path)] == ["ebm-course-student-en.zip"]


def test_handouts_need_the_install_cell(tmp_path):
    (tmp_path / "en").mkdir()
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), tmp_path / "en" / "a.ipynb")
    with pytest.raises(ValueError, match="REPO"):
        student.write_handouts(tmp_path)
