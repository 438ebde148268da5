"""Code in the book fits the page: no code block of a chapter scrolls sideways at 1280 px.

The notebooks' code lines are at most 88 columns (a Hangul character counts two); the page shows
about that many at a 1280-pixel window. Folded cells (hide-input, solutions) are opened first:
their code must fit too once a reader opens them. Cell outputs (printouts) are not code blocks.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

WINDOW = {"width": 1280, "height": 900}

_WIDE_CODE_JS = """() => {
    for (const d of document.querySelectorAll('article details')) d.open = true;
    const wide = [];
    for (const pre of document.querySelectorAll('article pre')) {
        if (pre.closest('.cell_output')) continue;
        if (pre.scrollWidth > pre.clientWidth + 1) {
            const line = pre.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), '');
            wide.push({scroll: pre.scrollWidth, client: pre.clientWidth, line: line.slice(0, 120)});
        }
    }
    return wide;
}"""


@pytest.mark.xfail(
    reason="the chapters' code is still laid out for 120 columns; it is reformatted to 88",
    strict=False,
)
def test_no_code_block_on_a_chapter_page_scrolls_sideways(visit, notebook_page):
    rel = notebook_page
    if rel is None:
        pytest.fail("no chapter page in the built book", pytrace=False)
    page = visit.page
    page.set_viewport_size(WINDOW)
    visit.goto(rel)
    assert page.locator("article pre").count() >= 3, f"{rel}: no code blocks found"
    wide = page.evaluate(_WIDE_CODE_JS)
    widest = max(wide, key=lambda w: w["scroll"], default=None)
    assert not wide, (
        f"{rel}: {len(wide)} code blocks scroll sideways; the widest is {widest['scroll']} px in "
        f"{widest['client']} px: {widest['line']!r}"
    )
