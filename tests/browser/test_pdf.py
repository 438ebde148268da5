"""``make pdf`` on the built book: one PDF per edition, read back with poppler-utils.

The PDFs are printed once per session, by the same code as ``make pdf`` (ebm_course.pdf), with
the session's Chromium, into ``<html root>/../pdf`` (``_build/pdf``). The checks read them with
``pdftotext``, ``pdffonts`` and ``pdfimages`` and compare them with the built HTML and _toc.yml.
"""

from __future__ import annotations

import base64
import collections
import posixpath
import re
import shutil
import struct
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from ebm_course import pdf

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
LANGS = ("ko", "en")
CAPTIONS = {"ko": "한국어", "en": "English"}
HANGUL = re.compile(r"[\uAC00-\uD7A3]")
POPPLER = ("pdftotext", "pdffonts", "pdfimages", "pdfinfo")


@pytest.fixture(scope="session")
def poppler():
    missing = [tool for tool in POPPLER if shutil.which(tool) is None]
    if missing:
        pytest.fail(f"{missing} not found: install Debian's poppler-utils (.ci/run does)", pytrace=False)


@pytest.fixture(scope="session")
def book_pdfs(chromium, html_root, poppler):
    """{lang: path}: both editions printed from the built book, as `make pdf` does."""
    return pdf.write_pdfs(REPO_ROOT, html_root, html_root.parent / "pdf", browser=chromium)


def _run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, encoding="utf-8").stdout


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _key(text: str) -> str:
    """``text`` without spaces and hyphens: a title that wraps, at a space or at its hyphen
    ("energy-" / "based", which pdftotext joins as "energybased"), still matches."""
    return re.sub(r"[\s\-\u2010]", "", unicodedata.normalize("NFKC", text))


def _edition_pages(lang: str) -> list[str]:
    """The docnames of the edition's part of _toc.yml, read here without ebm_course.pdf."""
    toc = yaml.safe_load((REPO_ROOT / "_toc.yml").read_text(encoding="utf-8"))
    (part,) = [p for p in toc["parts"] if p["caption"] == CAPTIONS[lang]]
    return [ch["file"] for ch in part["chapters"]]


def _html(html_root, docname: str) -> BeautifulSoup:
    return BeautifulSoup((html_root / f"{docname}.html").read_text("utf-8"), "html.parser")


def _title(soup: BeautifulSoup) -> str:
    h1 = soup.select_one("article h1")
    for link in h1.select("a.headerlink"):
        link.decompose()
    return _norm(h1.get_text())


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "the book's figures are PNG images"
    return struct.unpack(">II", data[16:24])


def _figure_sizes(html_root, docname: str, soup: BeautifulSoup) -> list[tuple[int, int]]:
    """Pixel sizes of the page's images: figures in cell outputs and explorers' first frames."""
    sizes = []
    for img in soup.select("article img"):
        src = img["src"]
        if src.startswith("data:"):
            head = base64.b64decode(src.split(",", 1)[1][:64])
        else:
            path = posixpath.normpath(posixpath.join(posixpath.dirname(docname), src))
            head = (html_root / path).read_bytes()[:32]
        sizes.append(_png_size(head))
    return sizes


@pytest.mark.parametrize("lang", LANGS)
def test_make_pdf_writes_one_file_per_edition(book_pdfs, lang, html_root):
    path = book_pdfs[lang]
    assert path == html_root.parent / "pdf" / f"ebm-course-{lang}.pdf" and path.is_file()
    info = _run("pdfinfo", str(path))
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
    assert pages >= len(_edition_pages(lang)), f"{path.name}: {pages} pages for {len(_edition_pages(lang))} chapters"
    assert re.search(r"^Page size:.*\(A4\)", info, re.M), info


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_of_the_edition_starts_a_pdf_page_with_its_title_in_the_books_order(book_pdfs, lang, html_root):
    sheets = [_key(s) for s in _run("pdftotext", str(book_pdfs[lang]), "-").split("\f")]
    at = -1
    for docname in _edition_pages(lang):
        title = _title(_html(html_root, docname))
        found = next((i for i in range(at + 1, len(sheets)) if sheets[i].startswith(_key(title))), None)
        assert found is not None, f"{book_pdfs[lang].name}: no page after page {at + 1} starts with {title!r}"
        at = found


def test_korean_pdf_is_in_korean_with_the_korean_font_embedded(book_pdfs):
    path = book_pdfs["ko"]
    text = _run("pdftotext", str(path), "-")
    assert len(HANGUL.findall(text)) > 10_000, f"{path.name}: {len(HANGUL.findall(text))} Hangul syllables"
    fonts = _run("pdffonts", str(path)).splitlines()[2:]
    nanum = [line for line in fonts if "Nanum" in line]
    assert nanum, f"{path.name}: no Nanum font:\n" + "\n".join(fonts[:10])
    # columns: name type encoding emb sub uni object ID; embedded is the 4th from the right
    assert all(line.split()[-5] == "yes" for line in nanum), "\n".join(nanum)


@pytest.mark.parametrize("lang", LANGS)
def test_pdf_equations_are_typeset(book_pdfs, lang):
    """Sphinx writes inline math as \\( \\) and display math as \\[ \\]: a PDF printed before
    MathJax ran would show them (ebm_course.pdf also refuses a page with an untypeset equation)."""
    text = _run("pdftotext", str(book_pdfs[lang]), "-")
    raw = [m.group() for m in re.finditer(r"\\[(\[][^\n]{0,40}", text)][:5]
    assert not raw, f"{book_pdfs[lang].name}: raw TeX in the text: {raw}"
    assert "∞" in text and "β" in text, f"{book_pdfs[lang].name}: no typeset F∞ or β"


@pytest.mark.parametrize("lang", LANGS)
def test_pdf_holds_every_figure_and_explorer_frame_at_full_size(book_pdfs, lang, html_root):
    expected = collections.Counter()
    for docname in _edition_pages(lang):
        expected.update(_figure_sizes(html_root, docname, _html(html_root, docname)))
    assert sum(expected.values()) >= 10, f"{lang}: only {sum(expected.values())} images in the HTML"
    rows = _run("pdfimages", "-list", str(book_pdfs[lang])).splitlines()[2:]
    printed = collections.Counter((int(r.split()[3]), int(r.split()[4])) for r in rows if r.split()[2] == "image")
    missing = expected - printed
    assert not missing, f"{book_pdfs[lang].name}: figures (width, height) missing from the PDF: {dict(missing)}"
