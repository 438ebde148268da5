"""One edition per page: the sidebar filter of the book's extension, and the PDF's page order.

The browser tests check the built pages; these check the rules themselves on small inputs.
"""

from __future__ import annotations

import importlib.util
import posixpath

import pytest
import yaml
from bs4 import BeautifulSoup
from nbtools import ROOT

from ebm_course import pdf


def _extension():
    spec = importlib.util.spec_from_file_location("book_extras", ROOT / "_ext" / "book_extras.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PARTS = {
    "한국어": [("book/ko/intro", "소개"), ("book/ko/setup", "실행 방법"), ("notebooks/ko/02_energy_gibbs", "2장")],
    "English": [
        ("book/en/intro", "Introduction"),
        ("book/en/setup", "How to run"),
        ("notebooks/en/02_energy_gibbs", "Ch. 2"),
    ],
}


def _toctree(page: str, parts=PARTS) -> str:
    """The shape of Sphinx's toctree HTML for a book with two parts, as seen from ``page``."""
    html = []
    for caption, entries in parts.items():
        html.append(f'<p aria-level="2" class="caption" role="heading"><span class="caption-text">{caption}</span></p>')
        html.append("<ul>")
        for doc, title in entries:
            href = "#" if doc == page else posixpath.relpath(doc, posixpath.dirname(page)) + ".html"
            html.append(f'<li class="toctree-l1"><a class="reference internal" href="{href}">{title}</a></li>')
        html.append("</ul>")
    return "\n".join(html)


def _parts(html):
    soup = BeautifulSoup(html, "html.parser")
    captions = [p.get_text() for p in soup.find_all("p", class_="caption")]
    editions = [(a["href"], a.get("lang"), a.get_text()) for a in soup.select("ul.ebm-edition-links a")]
    links = [a["href"] for a in soup.find_all("a") if not a.find_parent("ul", class_="ebm-edition-links")]
    return captions, links, editions


def test_an_english_page_lists_the_english_part_and_one_link_into_the_korean_edition():
    html = _toctree("book/en/setup")
    captions, links, editions = _parts(_extension().one_edition_toctree(html, "book/en/setup.html", "en"))
    assert captions == ["English"]
    assert links == ["intro.html", "#", "../../notebooks/en/02_energy_gibbs.html"]
    assert editions == [("../ko/intro.html", "ko", "한국어판")]


def test_a_korean_chapter_lists_the_korean_part_and_one_link_into_the_english_edition():
    html = _toctree("notebooks/ko/02_energy_gibbs")
    captions, links, editions = _parts(
        _extension().one_edition_toctree(html, "notebooks/ko/02_energy_gibbs.html", "ko")
    )
    assert captions == ["한국어"]
    assert links == ["../../book/ko/intro.html", "../../book/ko/setup.html", "#"]
    assert editions == [("../../book/en/intro.html", "en", "English edition")]


def test_a_page_of_neither_edition_lists_only_the_two_ways_in():
    html = _toctree("book/index")
    captions, links, editions = _parts(_extension().one_edition_toctree(html, "book/index.html", None))
    assert captions == [] and links == []
    assert editions == [("ko/intro.html", "ko", "한국어판"), ("en/intro.html", "en", "English edition")]


def test_a_part_that_mixes_editions_and_a_toctree_without_parts_stay_as_they_are():
    ext = _extension()
    mixed = {"한국어": PARTS["한국어"], "English": [*PARTS["English"], ("book/ko/errata", "정오표")]}
    html = _toctree("book/en/setup", mixed)
    captions, links, editions = _parts(ext.one_edition_toctree(html, "book/en/setup.html", "en"))
    assert captions == ["English"]  # the Korean part went; the mixed English one stays whole
    assert links[-1] == "../ko/errata.html"
    assert [lang for _, lang, _ in editions] == ["ko"]
    flat = '<ul><li><a href="../ko/intro.html">소개</a></li></ul>'
    assert _parts(ext.one_edition_toctree(flat, "book/en/setup.html", "en")) == ([], ["../ko/intro.html"], [])


def test_the_sidebar_filter_rejects_an_unknown_language():
    with pytest.raises(ValueError, match="lang"):
        _extension().one_edition_toctree(_toctree("book/en/setup"), "book/en/setup.html", "fr")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_each_edition_of_the_pdf_is_its_part_of_the_toc_in_order(lang):
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    caption = {"ko": "한국어", "en": "English"}[lang]
    (part,) = [p for p in toc["parts"] if p["caption"] == caption]
    pages = pdf.edition_pages(ROOT / "_toc.yml", lang)
    assert pages == [c["file"] for c in part["chapters"]]
    assert pages[0] == f"book/{lang}/intro" and all(f"/{lang}/" in p for p in pages)


def test_edition_pages_follow_sections_and_reject_bad_arguments(tmp_path):
    toc = tmp_path / "_toc.yml"
    toc.write_text(
        "root: book/index\nparts:\n"
        "  - caption: A\n    chapters:\n      - file: book/en/a.md\n        sections:\n"
        "          - file: book/en/b\n      - file: notebooks/en/c.ipynb\n"
        "  - caption: B\n    chapters:\n      - file: book/ko/a\n      - file: book/en/z\n",
        encoding="utf-8",
    )
    assert pdf.edition_pages(toc, "en") == ["book/en/a", "book/en/b", "notebooks/en/c"]
    with pytest.raises(ValueError, match="ko/ folder"):
        pdf.edition_pages(toc, "ko")  # the only part with Korean pages mixes in an English one
    with pytest.raises(ValueError, match="langs"):
        pdf.edition_pages(toc, "fr")
    with pytest.raises(TypeError, match="toc_path"):
        pdf.edition_pages(3, "en")
    with pytest.raises(ValueError, match="toc_path"):
        pdf.edition_pages(tmp_path / "missing.yml", "en")


def test_write_pdfs_needs_a_built_book(tmp_path):
    (tmp_path / "_toc.yml").write_text((ROOT / "_toc.yml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ValueError, match="make book"):
        pdf.write_pdfs(tmp_path, tmp_path / "html", tmp_path / "pdf")
    with pytest.raises(ValueError, match="book_root"):
        pdf.write_pdfs(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="langs"):
        pdf.write_pdfs(tmp_path, langs=())
    with pytest.raises(TypeError, match="html_root"):
        pdf.write_pdfs(tmp_path, html_root=1.5)
