"""One edition per page, as a reader meets it in Chromium at 1280 x 900.

The sidebar of a page lists the pages of its own edition and one link into the other; the
previous/next links stay in the edition; the front door serves readers of both languages; a search
from a page ranks that page's edition first.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

pytestmark = pytest.mark.browser

HANGUL = re.compile(r"[\uAC00-\uD7A3]")
SIDEBAR_LINKS_JS = """() => [...document.querySelectorAll('nav.bd-docs-nav a[href]')].map(a => ({
    href: a.href, text: a.innerText.trim(), lang: a.getAttribute('lang'),
    edition_link: !!a.closest('ul.ebm-edition-links'),
    visible: !!(a.offsetWidth || a.offsetHeight || a.getClientRects().length)}))"""


def _need(value, what: str):
    if value is None:
        pytest.fail(f"no {what} in the built book", pytrace=False)
    return value


def _rel(visit, url: str) -> str:
    """The page path of ``url`` relative to the book's root ('book/en/intro.html')."""
    path = urlsplit(url).path
    base = urlsplit(visit.base_url).path
    return path[len(base) :] if path.startswith(base) else path


def test_sidebar_lists_its_own_edition_and_one_link_into_the_other(visit, content_page, book):
    rel = _need(content_page, "page of an edition")
    lang = book.language(rel)
    other = "en" if lang == "ko" else "ko"
    visit.goto(rel)
    links = visit.page.evaluate(SIDEBAR_LINKS_JS)
    chapters = [x for x in links if not x["edition_link"]]
    editions = [x for x in links if x["edition_link"]]
    targets = [_rel(visit, x["href"]).split("#")[0] for x in chapters]
    wrong = [t for t in targets if book.language(t) != lang]
    assert not wrong, f"{rel}: the sidebar lists pages of another edition: {wrong}"
    expected = sorted(p for p in book.content_pages() if book.language(p) == lang)
    assert sorted(set(targets)) == expected, f"{rel}: the sidebar lists {sorted(set(targets))}, not {expected}"
    assert all(x["visible"] for x in chapters), f"{rel}: sidebar links that are not shown at 1280 px"
    assert len(editions) == 1, f"{rel}: {len(editions)} links into other editions, expected 1: {editions}"
    (edition,) = editions
    target = _rel(visit, edition["href"])
    assert book.language(target) == other and target in book.content_pages(), (
        f"{rel}: the link into the other edition leads to {target}"
    )
    assert edition["lang"] == other and edition["visible"], f"{rel}: the edition link is {edition}"
    captions = visit.page.eval_on_selector_all("nav.bd-docs-nav p.caption", "els => els.map(e => e.innerText)")
    assert len(captions) <= 1, f"{rel}: the sidebar has the captions {captions}"


def test_previous_and_next_links_stay_in_the_edition(visit, content_page, book):
    rel = _need(content_page, "page of an edition")
    lang = book.language(rel)
    visit.goto(rel)
    hrefs = visit.page.eval_on_selector_all("a.left-prev, a.right-next", "els => els.map(a => a.href)")
    crossing = [h for h in hrefs if book.language(_rel(visit, h)) not in (None, lang)]
    assert not crossing, f"{rel}: previous/next links into the other edition: {crossing}"


def test_every_page_of_an_edition_but_its_ends_has_a_previous_and_a_next_page(book, html_root):
    """The edition's pages form one chain (a removed link would strand a reader)."""
    for lang in ("ko", "en"):
        pages = [p for p in book.content_pages() if book.language(p) == lang]
        links = {}
        for rel in pages:
            html = (html_root / rel).read_text("utf-8")
            found = {}
            for cls in ("left-prev", "right-next"):
                m = re.search(rf'<a[^>]*class="{cls}"[^>]*href="([^"]+)"', html) or re.search(
                    rf'<a[^>]*href="([^"]+)"[^>]*class="{cls}"', html
                )
                found[cls] = urljoin(rel, m.group(1)) if m else None
            links[rel] = found
        starts = [p for p in pages if links[p]["left-prev"] is None or book.language(links[p]["left-prev"]) is None]
        assert len(starts) == 1, f"{lang}: the chain of next links should start once, starts at {starts}"
        seen, page = [], starts[0]
        while page is not None and page not in seen:
            seen.append(page)
            page = links[page]["right-next"]
        assert sorted(seen) == sorted(pages), f"{lang}: following next from {starts[0]} visits {seen}"


def test_front_door_offers_both_editions_in_their_languages(visit, book):
    door = _need(book.front_door(), "front door (index.html)")
    page = visit.page
    visit.goto("index.html", idle=True)
    assert _rel(visit, page.url) == door, f"index.html led to {page.url}, not {door}"
    assert book.language(door) is None, f"the front door {door} is in an edition's folder"
    assert not visit.console_errors and not visit.page_errors
    title = page.locator("h1").first.inner_text()
    assert "SSL, EBM" in title, f"front door title {title!r}"
    for lang in ("ko", "en"):
        block = page.locator(f"article div.ebm-edition[lang={lang}]")
        assert block.count() == 1, f"{door}: {block.count()} blocks in {lang}"
        text = block.inner_text()
        if lang == "ko":
            assert len(HANGUL.findall(text)) > 20, f"{door}: the Korean block has little Hangul: {text!r}"
        else:
            assert not HANGUL.search(text) and len(text.split()) > 10, f"{door}: the English block reads {text!r}"
        links = block.locator("a[href]")
        targets = [_rel(visit, h) for h in links.evaluate_all("els => els.map(a => a.href)")]
        assert targets == [f"book/{lang}/intro.html"], f"{door}: the {lang} block links to {targets}"
    # The sidebar of the front door holds the two ways in, and nothing of either edition's contents.
    links = page.evaluate(SIDEBAR_LINKS_JS)
    assert [(_rel(visit, x["href"]), x["lang"]) for x in links] == [
        ("book/ko/intro.html", "ko"),
        ("book/en/intro.html", "en"),
    ], f"{door}: sidebar {links}"
    nexts = page.eval_on_selector_all("a.left-prev, a.right-next", "els => els.map(a => a.href)")
    assert not nexts, f"{door}: previous/next links lead into one edition: {nexts}"
    # Each way in works, and lands on a page of that language.
    for lang in ("ko", "en"):
        visit.goto(door)
        with page.expect_navigation():
            page.locator(f"article div.ebm-edition[lang={lang}] a").first.click()
        assert _rel(visit, page.url) == f"book/{lang}/intro.html"
        assert page.evaluate("() => document.documentElement.lang") == lang


def _search_from(visit, rel: str, query: str) -> tuple[str, list[str]]:
    """Search for ``query`` with the search box of page ``rel``, as a reader does (Ctrl+K, type,
    Enter); returns the search page's URL and the result pages in order."""
    page = visit.page
    visit.goto(rel)
    page.keyboard.press("Control+k")
    box = page.locator("form.bd-search input[name=q]").locator("visible=true").first
    box.fill(query)
    with page.expect_navigation():
        box.press("Enter")
    page.wait_for_selector("#search-results .search-summary", timeout=20_000)
    page.wait_for_function(
        "() => !document.querySelector('#search-results .search-summary').innerText.match(/preparing|searching/i)"
    )
    hrefs = page.eval_on_selector_all("#search-results ul.search li a", "els => els.map(a => a.href)")
    return page.url, [_rel(visit, h).split("?")[0].split("#")[0] for h in hrefs]


@pytest.mark.parametrize(
    ("start", "query"),
    [("book/en/intro.html", "energy"), ("notebooks/en/05_contrastive_dae.html", "DAE"), ("book/ko/intro.html", "DAE")],
)
def test_search_from_a_page_ranks_its_edition_first(visit, book, start, query):
    lang = book.language(start)
    url, results = _search_from(visit, start, query)
    assert f"lang={lang}" in url, f"the search from {start} went to {url} without its edition"
    langs = [book.language(r) for r in results]
    own = [i for i, x in enumerate(langs) if x == lang]
    others = [i for i, x in enumerate(langs) if x != lang]
    # Both editions match these words, so the order is what the test checks.
    assert own and others, f"{query!r} from {start}: results {results}"
    assert max(own) < min(others), f"{query!r} from {start}: results of the {lang} edition are not first: {results}"


def test_korean_search_finds_the_korean_pages_first(visit, book):
    url, results = _search_from(visit, "notebooks/ko/02_energy_gibbs.html", "에너지")
    langs = [book.language(r) for r in results]
    korean = [r for r, x in zip(results, langs) if x == "ko"]
    # Nine Korean pages use the word 에너지 on its own (the book had 11 results in all before the
    # front door: those nine and two English pages that quote Korean terms).
    assert len(korean) >= 9, f"에너지 finds {len(korean)} Korean pages: {results}"
    assert langs[: len(korean)] == ["ko"] * len(korean), f"에너지: Korean pages are not first: {results}"
    assert visit.page.evaluate("() => document.documentElement.lang") == "ko", "a Korean search page is marked ko"
