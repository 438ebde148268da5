"""The notebooks and pages obey the book's rules: pairs, parity, no outputs, exercises, links."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
import yaml
from nbtools import NB, ROOT, chapters, display_math, headings, masked_code, read

from ebm_course import exercises, student, sync

CHAPTERS = chapters()


def test_there_is_at_least_one_chapter():
    assert CHAPTERS, "no notebooks under notebooks/ko or notebooks/en"


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_chapter_exists_in_both_languages(slug):
    for lang in ("ko", "en"):
        assert (NB / lang / f"{slug}.ipynb").is_file(), f"notebooks/{lang}/{slug}.ipynb is missing"


@pytest.mark.parametrize("slug", CHAPTERS)
def test_code_cells_are_identical_once_strings_and_comments_are_masked(slug):
    ko = [c for c in read("ko", slug).cells if c.cell_type == "code"]
    en = [c for c in read("en", slug).cells if c.cell_type == "code"]
    assert len(ko) == len(en), f"{slug}: {len(ko)} code cells in ko, {len(en)} in en"
    for i, (a, b) in enumerate(zip(ko, en)):
        assert masked_code(a.source) == masked_code(b.source), f"{slug}: code cell {i} differs beyond strings"
        assert a.metadata.get("tags", []) == b.metadata.get("tags", []), f"{slug}: code cell {i} has other tags"


def test_masking_ignores_strings_and_comments_but_not_logic():
    assert masked_code('plt.title("Energy")  # note') == masked_code('plt.title("에너지")')
    assert masked_code('print(f"a {x:.2f}")') == masked_code('print(f"가 {x:.3f} 나")')
    assert masked_code('print(f"{losses[0]}")') != masked_code('print(f"{losses[-1]}")')
    assert masked_code("y = x + 1") != masked_code("y = x - 1")


@pytest.mark.parametrize("slug", CHAPTERS)
def test_markdown_cells_pair_up_with_the_same_headings_and_equations(slug):
    ko = [c.source for c in read("ko", slug).cells if c.cell_type == "markdown"]
    en = [c.source for c in read("en", slug).cells if c.cell_type == "markdown"]
    assert len(ko) == len(en), f"{slug}: {len(ko)} markdown cells in ko, {len(en)} in en"
    ko_cells = [c.cell_type for c in read("ko", slug).cells]
    en_cells = [c.cell_type for c in read("en", slug).cells]
    assert ko_cells == en_cells, f"{slug}: the order of markdown and code cells differs"
    for i, (a, b) in enumerate(zip(ko, en)):
        assert headings(a) == headings(b), f"{slug}: markdown cell {i} has other heading levels"
        assert display_math(a) == display_math(b), f"{slug}: markdown cell {i} has other display equations"


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", CHAPTERS)
def test_notebooks_are_committed_without_outputs_or_widget_state(slug, lang):
    nb = read(lang, slug)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{lang}/{slug}: cell {i} has outputs"
            assert cell.execution_count is None, f"{lang}/{slug}: cell {i} has an execution count"
    assert "widgets" not in nb.metadata, f"{lang}/{slug}: widget state in the metadata"


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", CHAPTERS)
def test_first_cell_has_a_title_and_a_colab_link_to_this_very_notebook(slug, lang):
    url, branch = sync.repository(ROOT)
    first = read(lang, slug).cells[0]
    assert first.cell_type == "markdown" and headings(first.source)[:1] == [1]
    expected = sync.colab_url(url, branch, f"notebooks/{lang}/{slug}.ipynb")
    links = sync.COLAB_RE.findall(first.source)
    assert links == [expected], f"{lang}/{slug}: Colab link {links} should be {expected}"


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", CHAPTERS)
def test_setup_cell_installs_from_the_configured_repository_and_sets_the_language(slug, lang):
    url, branch = sync.repository(ROOT)
    code = "\n".join(c.source for c in read(lang, slug).cells if c.cell_type == "code")
    assert f'REPO = "{url}"' in code and f'REF = "{branch}"' in code
    assert 'if "google.colab" in sys.modules' in code
    assert f'LANG = "{lang}"' in code and "ec.setup(lang=LANG" in code


def test_sync_finds_nothing_out_of_date():
    assert sync.run(ROOT, check=True) == []


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", CHAPTERS)
def test_each_chapter_has_three_exercises_with_solutions_and_automatic_checks(slug, lang):
    cells = read(lang, slug).cells
    solutions = [i for i, c in enumerate(cells) if "solution" in c.metadata.get("tags", [])]
    assert len(solutions) >= 3, f"{lang}/{slug}: {len(solutions)} solution cells, need 3"
    for i in solutions:
        src = cells[i].source
        assert cells[i].cell_type == "code"
        assert "### BEGIN SOLUTION" in src and "### END SOLUTION" in src
        assert "hide-input" in cells[i].metadata["tags"], "solutions are folded in the book"
        following = [c for c in cells[i + 1 :] if c.cell_type == "code"][0].source
        m = re.search(r"ec\.exercises\.(check_\w+)\(", following)
        assert m, f"{lang}/{slug}: the cell after solution cell {i} calls no ec.exercises.check_*"
        assert callable(getattr(exercises, m.group(1), None)), f"ebm_course.exercises has no {m.group(1)}"


def _is_check_cell(source: str) -> bool:
    """A cell that only checks claims: it asserts, and shows nothing (no print, no plot)."""
    tree = ast.parse(source)
    nodes = list(ast.walk(tree))
    shows = any(
        isinstance(n, ast.Call)
        and isinstance(n.func, (ast.Name, ast.Attribute))
        and (getattr(n.func, "id", None) == "print" or getattr(n.func, "attr", None) in ("show", "Explorer"))
        for n in nodes
    )
    return any(isinstance(n, ast.Assert) for n in nodes) and not shows


@pytest.mark.parametrize("lang", ["ko", "en"])
@pytest.mark.parametrize("slug", CHAPTERS)
def test_claims_are_checked_by_assert_cells_hidden_in_the_book(slug, lang):
    cells = [c for c in read(lang, slug).cells if c.cell_type == "code"]
    checks = [c for c in cells if _is_check_cell(c.source)]
    assert len(checks) >= 3, f"{lang}/{slug}: the chapter's claims need assert cells"
    for c in checks:
        assert "hide-cell" in c.metadata.get("tags", []), f"{lang}/{slug}: check cell not hidden:\n{c.source}"


@pytest.mark.parametrize("slug", [s for s in CHAPTERS if not s.startswith("01_")])
def test_chapters_with_an_explorer_use_the_shared_explorer(slug):
    code = "\n".join(c.source for c in read("en", slug).cells if c.cell_type == "code")
    assert "ec.Explorer(" in code


@pytest.mark.parametrize("slug", CHAPTERS)
def test_student_version_keeps_signatures_and_removes_solutions(slug):
    for lang in ("ko", "en"):
        nb = student.student_notebook(read(lang, slug), lang)
        sols = [c for c in read(lang, slug).cells if "solution" in c.metadata.get("tags", [])]
        stripped = [c for c in nb.cells if c.cell_type == "code" and "NotImplementedError" in c.source]
        assert len(stripped) == len(sols)
        for c in nb.cells:
            assert "BEGIN SOLUTION" not in c.source and "END SOLUTION" not in c.source
        for c in stripped:
            assert c.source.startswith("def "), "the function signature stays"


def test_strip_solution_rejects_unbalanced_markers():
    with pytest.raises(ValueError, match="END SOLUTION"):
        student.strip_solution("def f():\n    ### BEGIN SOLUTION\n    return 1\n")
    with pytest.raises(ValueError, match="BEGIN SOLUTION"):
        student.strip_solution("def f():\n    return 1\n")


def test_make_student_writes_every_notebook(tmp_path):
    written = student.write_student_notebooks(NB, tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(
        f"{lang}/{slug}.ipynb" for lang in ("ko", "en") for slug in CHAPTERS
    )


def _toc_files(part):
    return [ch["file"] for ch in part["chapters"]]


def test_toc_has_a_korean_and_an_english_part_with_the_same_chapters_in_order():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    parts = {p["caption"]: p for p in toc["parts"]}
    assert set(parts) == {"한국어", "English"}
    ko = _toc_files(parts["한국어"])
    en = _toc_files(parts["English"])
    assert [f.replace("/ko/", "/en/") for f in ko] == en
    assert all("/ko/" in f for f in ko) and all("/en/" in f for f in en), "each part holds one language"
    # The root is the bilingual front door, in neither part, and each part opens with its introduction.
    assert "/ko/" not in toc["root"] and "/en/" not in toc["root"]
    assert ko[0] == "book/ko/intro" and en[0] == "book/en/intro"
    for slug in CHAPTERS:
        assert f"notebooks/ko/{slug}" in ko and f"notebooks/en/{slug}" in en


@pytest.mark.parametrize("page", sorted(p.name for p in (ROOT / "book" / "en").glob("*.md")))
def test_book_pages_exist_in_pairs_with_the_same_heading_structure(page):
    en = (ROOT / "book" / "en" / page).read_text(encoding="utf-8")
    ko_path = ROOT / "book" / "ko" / page
    assert ko_path.is_file(), f"book/ko/{page} is missing"
    ko = ko_path.read_text(encoding="utf-8")
    assert headings(ko) == headings(en)
    assert headings(en).count(1) == 1, "one title per page"


def test_config_writes_the_repository_url_once_and_builds_offline():
    cfg = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert cfg["repository"]["url"].startswith("https://github.com/")
    assert "sphinx-mathjax-offline" in cfg["sphinx"]["extra_extensions"]
    conf = cfg["sphinx"]["config"]
    assert conf["nb_ipywidgets_js"] == {}
    assert ["html", "application/vnd.jupyter.widget-view+json", None] in conf["nb_mime_priority_overrides"]
    for pattern in (".venv", "_build", ".pytest_cache", "*.egg-info"):
        assert pattern in cfg["exclude_patterns"]
    assert cfg["execute"]["execute_notebooks"] == "cache" and cfg["execute"]["timeout"] > 0


def test_requirements_pin_torch_and_jupyter_book_below_2():
    reqs = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==", 1) for line in reqs if "==" in line and not line.startswith("#"))
    assert pins["torch"] == "2.13.0"
    assert int(pins["jupyter-book"].split(".")[0]) < 2
    unpinned = [ln for ln in reqs if ln.strip() and not ln.startswith("#") and "==" not in ln]
    assert unpinned == [], f"every requirement is pinned exactly: {unpinned}"


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_instructor_guide_lists_every_exercise_check_the_notebooks_call(lang):
    guide = (ROOT / "book" / lang / "instructors.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`(check_\w+)`", guide))
    used = {
        m
        for slug in CHAPTERS
        for c in read(lang, slug).cells
        if c.cell_type == "code"
        for m in re.findall(r"ec\.exercises\.(check_\w+)\(", c.source)
    }
    assert used <= listed, f"book/{lang}/instructors.md does not list {sorted(used - listed)}"
    assert listed <= set(exercises.__all__), (
        f"the guide lists checks that do not exist: {sorted(listed - set(exercises.__all__))}"
    )


def test_every_subpackage_of_ebm_course_is_packaged():
    """A non-editable install (Colab's pip install git+...) ships only the packages pyproject lists."""
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "ebm_course").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found == listed, f"pyproject.toml packages {sorted(listed)} but the folders are {sorted(found)}"


def _notebook_headings(lang: str) -> set[str]:
    found = set()
    for slug in CHAPTERS:
        for c in read(lang, slug).cells:
            if c.cell_type == "markdown":
                for line in c.source.splitlines():
                    if m := re.match(r"^#{2,3}\s+(?:\d+\.\s+)?(.+?)\s*$", line):
                        found.add(m.group(1))
    return found


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_errata_cite_sections_by_their_real_headings(lang):
    text = re.sub(r"\s+", " ", (ROOT / "book" / lang / "errata.md").read_text(encoding="utf-8"))
    if lang == "ko":
        cited = re.findall(r"「([^」]+)」", text)
    else:
        cited = re.findall(r'[Ss]ection \d+(?:,| under) "([^"]+)"', text)
    assert cited, f"book/{lang}/errata.md cites no section by name"
    missing = [c for c in cited if c not in _notebook_headings(lang)]
    assert missing == [], f"book/{lang}/errata.md cites headings no notebook has: {missing}"


def test_student_notebook_drops_the_colab_link_to_the_teacher_version():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# T\n\n[Open in Colab](https://colab.research.google.com/github/o/r/blob/main/x.ipynb)"
        ),
        nbformat.v4.new_code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", metadata={"tags": ["solution"]}
        ),
    ]
    out = student.student_notebook(nb, "en")
    assert "colab.research.google.com" not in out.cells[0].source and out.cells[0].source.startswith("# T")
    assert "raise NotImplementedError()" in out.cells[1].source
