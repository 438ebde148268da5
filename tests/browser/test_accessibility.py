"""axe-core on every page of the built book: no serious or critical violation.

axe-core's script ships inside the axe-playwright-python package (pinned in requirements.txt), so
nothing is fetched when it runs. Each page is checked once typeset (MathJax adds its assistive
MathML), in the light theme a first visit gets, and the search page with a query's results.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

BLOCKING = ("serious", "critical")


@pytest.fixture(scope="session")
def axe():
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


def _violations(axe, page) -> list[str]:
    page.evaluate("() => document.fonts.ready.then(() => true)")
    page.evaluate(
        "() => (window.MathJax && MathJax.startup && MathJax.startup.promise) ? MathJax.startup.promise.then(() => true) : true"
    )
    results = axe.run(page).response
    assert results.get("testEngine", {}).get("name") == "axe-core", "axe-core did not run"
    assert results.get("passes") is not None or results.get("violations") is not None
    found = []
    for v in results["violations"]:
        if v.get("impact") in BLOCKING:
            targets = [", ".join(map(str, n.get("target", []))) for n in v["nodes"][:3]]
            found.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes): {v['help']} at {targets}")
    return found


def test_page_has_no_serious_or_critical_accessibility_violation(visit, page_path, axe):
    rel = page_path
    if rel is None:
        pytest.fail("no page in the built book", pytrace=False)
    visit.goto(rel, idle=True)
    found = _violations(axe, visit.page)
    assert not found, f"{rel}: axe-core found:" + "".join(f"\n  - {x}" for x in found)


@pytest.mark.parametrize("query", ["energy&lang=en", "에너지&lang=ko"])
def test_search_results_have_no_serious_or_critical_accessibility_violation(visit, axe, query):
    page = visit.page
    visit.goto(f"search.html?q={query}")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    found = _violations(axe, page)
    assert not found, f"search.html?q={query}: axe-core found:" + "".join(f"\n  - {x}" for x in found)


def test_axe_finds_a_serious_violation_when_there_is_one(visit, axe):
    """The check can fail: an image without alt text and a link with no name are serious."""
    page = visit.page
    visit.goto("book/en/intro.html")
    page.evaluate(
        """() => { const a = document.createElement('a'); a.href = '#'; const img = document.createElement('img');
                   img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw='; a.appendChild(img);
                   document.querySelector('article').appendChild(a); }"""
    )
    found = _violations(axe, page)
    assert any(x.startswith(("image-alt", "link-name")) for x in found), found
