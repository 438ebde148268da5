"""The built book in headless Chromium, page by page (pages are discovered, see conftest.py).

Each test opens its page in a fresh browser context served from 127.0.0.1 and proves one thing:
the page loads cleanly, loads nothing from another host, shows typeset math, renders Korean in a
Korean font, shows no dead Jupyter widget, its explorers respond to scrubbing, and its language
link leads to the same page in the other language and back.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

KOREAN_FONT = re.compile(
    r"nanum|noto\s*sans\s*(cjk|kr)|noto\s*serif\s*(cjk|kr)|malgun|apple\s*sd\s*gothic|un\s*dotum|baekmuk",
    re.IGNORECASE,
)
RAW_TEX = ("\\(", "\\)", "\\[", "$$")
# $...$ with TeX inside (a backslash, ^ or _): inline math that no extension turned into math.
RAW_DOLLAR_MATH = re.compile(r"\$[^$\n]{0,200}?[\\^_][^$\n]{0,200}?\$")
LOCAL_SCHEMES = ("data:", "blob:", "about:")


def _need(value, what: str):
    """A parameter is None when discovery found nothing: that is a failure, never a skip."""
    if value is None:
        pytest.fail(f"no {what} in the built book", pytrace=False)
    return value


def _bullets(items) -> str:
    return "".join(f"\n  - {x}" for x in items)


# ---------------------------------------------------------------------------------------------
# Discovery


def test_book_has_at_least_one_notebook_page(book):
    assert book.notebook_pages(), f"no notebooks/**/*.html under {book.root}: the chapters were not built"


# ---------------------------------------------------------------------------------------------
# 1, 2: loading


def test_page_loads_without_console_errors_or_page_errors(visit, page_path, book_report):
    rel = _need(page_path, "page")
    response = visit.goto(rel, idle=True)
    assert response is not None and response.status == 200, f"{rel}: HTTP {response and response.status}"
    assert not visit.bad_responses, f"{rel}: resources failed to load:{_bullets(visit.bad_responses)}"
    assert not visit.console_errors, f"{rel}: console errors:{_bullets(visit.console_errors)}"
    assert not visit.page_errors, f"{rel}: uncaught page errors:{_bullets(visit.page_errors)}"
    book_report["pages"].add(rel)


def test_page_requests_nothing_from_other_hosts(visit, page_path):
    rel = _need(page_path, "page")
    visit.goto(rel, idle=True)
    assert visit.requests, f"{rel}: no request was recorded"
    foreign = [u for u in visit.requests if not (u.startswith(visit.base_url) or u.startswith(LOCAL_SCHEMES))]
    assert not foreign, f"{rel}: requests to other hosts:{_bullets(dict.fromkeys(foreign))}"


# ---------------------------------------------------------------------------------------------
# 3: math

_VISIBLE_PROSE_JS = """() => {
    // The visible text, less code blocks and inline code (where a backslash or $$ is legitimate).
    let text = document.body.innerText;
    for (const el of document.querySelectorAll('pre, code')) {
        const s = el.innerText;
        if (s) text = text.replace(s, ' ');
    }
    return text;
}"""


def test_math_is_typeset_by_mathjax_and_no_raw_tex_is_visible(visit, content_page):
    rel = _need(content_page, "book or notebook page")
    page = visit.page
    visit.goto(rel)
    n_math = page.locator("span.math, div.math, mjx-container").count()
    if n_math:
        try:
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=10_000)
            started = True
        except Exception:  # playwright's TimeoutError
            started = False
        assert started, f"{rel}: {n_math} math elements, but MathJax did not start within 10 s"
        page.evaluate("() => MathJax.startup.promise.then(() => true)")
        n_typeset = page.locator("mjx-container").count()
        assert n_typeset >= 1, f"{rel}: {n_math} math elements, no mjx-container after MathJax finished"
        untypeset = page.evaluate(
            """() => [...document.querySelectorAll('span.math, div.math')]
                     .filter(e => !e.querySelector('mjx-container'))
                     .map(e => e.textContent.trim().slice(0, 80))"""
        )
        assert not untypeset, f"{rel}: math left as source:{_bullets(untypeset)}"
        errors = page.evaluate(
            "() => [...document.querySelectorAll('mjx-merror')].map(e => (e.getAttribute('data-mjx-error') "
            "|| e.textContent).slice(0, 120))"
        )
        assert not errors, f"{rel}: MathJax reported TeX errors:{_bullets(errors)}"
    text = page.evaluate(_VISIBLE_PROSE_JS)
    raw = [
        f"{tok!r} in …{text[max(0, i - 40) : i + 40]!r}…"
        for tok in RAW_TEX
        for i in [m.start() for m in re.finditer(re.escape(tok), text)][:3]
    ]
    raw += [f"{m.group()!r}" for m in RAW_DOLLAR_MATH.finditer(text)][:3]
    assert not raw, f"{rel}: raw TeX in the visible text:{_bullets(raw)}"


# ---------------------------------------------------------------------------------------------
# 4: language and Korean font


def test_html_lang_matches_the_language_folder(visit, content_page, book):
    rel = _need(content_page, "book or notebook page")
    lang = book.language(rel)
    assert lang is not None, f"{rel} is in neither a ko/ nor an en/ folder"
    visit.goto(rel)
    actual = visit.page.evaluate("() => document.documentElement.getAttribute('lang')")
    assert actual == lang, f"{rel}: <html lang={actual!r}>, expected {lang!r}"


_HANGUL_PROBE_JS = r"""() => {
    // The first visible element whose own text has Hangul: in the article first, else anywhere.
    const hangul = /[\u1100-\u11FF\u3130-\u318F\uAC00-\uD7A3]/;
    const skip = 'script, style, noscript, template, title, pre, code, mjx-container, .lang-switch';
    for (const scope of [document.querySelector('article, main'), document.body]) {
        if (!scope) continue;
        const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            const el = n.parentElement;
            if (!el || !hangul.test(n.data) || el.closest(skip)) continue;
            const style = getComputedStyle(el);
            if (style.visibility !== 'visible' || !el.getClientRects().length) continue;
            el.setAttribute('data-ebm-hangul-probe', '');
            return {where: scope === document.body ? 'body' : 'article', tag: el.tagName.toLowerCase(),
                    text: n.data.trim().slice(0, 60), fontFamily: style.fontFamily};
        }
    }
    return null;
}"""


def test_korean_text_renders_with_a_korean_font(visit, ko_page):
    rel = _need(ko_page, "page under /ko/")
    page = visit.page
    visit.goto(rel)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    probe = page.evaluate(_HANGUL_PROBE_JS)
    assert probe, f"{rel}: no visible Hangul text on a Korean page"
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-ebm-hangul-probe]"})["nodeId"]
        assert node, f"{rel}: the Hangul element was not found over CDP"
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    finally:
        cdp.detach()
    korean = [f for f in fonts if KOREAN_FONT.search(f.get("familyName", "")) and f.get("glyphCount", 0) > 0]
    used = ", ".join(f"{f.get('familyName')} ({f.get('glyphCount')} glyphs)" for f in fonts) or "none"
    assert korean, (
        f"{rel}: <{probe['tag']}> {probe['text']!r} ({probe['where']}) rendered with {used}; "
        f"no Korean font (CSS font-family: {probe['fontFamily']})"
    )


# ---------------------------------------------------------------------------------------------
# 5: widgets and explorers

_WIDGETS_JS = """() => {
    const found = [];
    for (const el of document.querySelectorAll('*')) {
        const cls = [...el.classList];
        if (cls.some(c => c === 'jupyter-widgets' || c.startsWith('widget-')))
            found.push(el.tagName.toLowerCase() + '.' + cls.join('.'));
    }
    for (const s of document.querySelectorAll('script[type^="application/vnd.jupyter.widget"]'))
        found.push('script[type=' + s.type + ']');
    return found.slice(0, 10);
}"""


def _widgets(page) -> list[str]:
    return page.evaluate(_WIDGETS_JS)


_FIGURES_JS = """() => Array.from(document.querySelectorAll('.cell_output img'))
    .filter(img => !img.closest('.ebm-explorer'))
    .map(img => ({w: img.naturalWidth, h: img.naturalHeight}))"""


def test_chapter_page_shows_its_computed_figures(visit, notebook_page):
    rel = _need(notebook_page, "chapter page")
    visit.goto(rel, idle=True)
    figures = visit.page.evaluate(_FIGURES_JS)
    assert len(figures) >= 3, f"{rel}: {len(figures)} figures in cell outputs (the chapter's plots are missing)"
    blank = [f for f in figures if f["w"] < 50 or f["h"] < 50]
    assert not blank, f"{rel}: figures that did not load or are empty: {blank}"


def test_page_shows_no_live_jupyter_widget(visit, content_page):
    rel = _need(content_page, "book or notebook page")
    visit.goto(rel)
    found = _widgets(visit.page)
    assert not found, f"{rel}: widget elements (no kernel runs behind them in the book):{_bullets(found)}"


_RANGE_JS = "r => ({value: +r.value, min: +(r.min || 0), max: +(r.max || 100)})"


def test_explorer_picture_and_label_change_when_scrubbed(visit, explorer_page, book_report):
    rel = _need(explorer_page, "page with an .ebm-explorer (the book must have at least one explorer)")
    page = visit.page
    visit.goto(rel)
    found = _widgets(page)
    assert not found, f"{rel}: live widget elements next to the explorers:{_bullets(found)}"
    # Errors while the page loaded are test_page_loads_...'s; this test counts the scrubbing's own.
    n_console, n_page = len(visit.console_errors), len(visit.page_errors)
    explorers = page.locator(".ebm-explorer")
    count = explorers.count()
    assert count >= 1, f"{rel}: the HTML has an .ebm-explorer but the loaded page shows none"
    for i in range(count):
        ex = explorers.nth(i)
        name = f"{rel} explorer #{i + 1}"
        slider, img, output = ex.locator("input[type=range]"), ex.locator("img"), ex.locator("output")
        assert slider.count() == 1, f"{name}: {slider.count()} range inputs, expected 1"
        assert img.count() >= 1, f"{name}: no img"
        assert output.count() >= 1, f"{name}: no <output> label"
        slider, img, output = slider.first, img.first, output.first
        before = {"src": img.evaluate("e => e.src"), "label": output.inner_text(), **slider.evaluate(_RANGE_JS)}
        assert before["max"] > before["min"], f"{name}: a range with one value cannot be scrubbed: {before}"
        key, target = ("End", before["max"]) if before["value"] != before["max"] else ("Home", before["min"])
        slider.scroll_into_view_if_needed()
        slider.focus()
        page.keyboard.press(key)
        after = {"src": img.evaluate("e => e.src"), "label": output.inner_text(), **slider.evaluate(_RANGE_JS)}
        assert after["value"] == target, f"{name}: pressing {key} moved the range to {after['value']}, not {target}"
        assert after["src"] != before["src"], f"{name}: the picture did not change ({before['label']!r} -> {key})"
        assert after["label"] != before["label"], f"{name}: the label stayed {before['label']!r}"
        size = img.evaluate("e => e.decode().then(() => [e.naturalWidth, e.naturalHeight], () => [0, 0])")
        assert min(size) > 0, f"{name}: the new frame does not decode as an image"
        book_report["explorers"].add(f"{rel}#{i}")
    console, errors = visit.console_errors[n_console:], visit.page_errors[n_page:]
    assert not console, f"{rel}: console errors while scrubbing:{_bullets(console)}"
    assert not errors, f"{rel}: page errors while scrubbing:{_bullets(errors)}"


# ---------------------------------------------------------------------------------------------
# 6: language switch


def _path(url: str) -> str:
    return urlsplit(url).path


def test_language_link_leads_to_the_counterpart_and_back(visit, content_page, book):
    rel = _need(content_page, "book or notebook page")
    other = book.counterpart(rel)
    assert other is not None, f"{rel} is in neither a ko/ nor an en/ folder, so it has no counterpart"
    page = visit.page
    visit.goto(rel)
    link = page.locator("p.lang-switch a")
    assert link.count() >= 1, f"{rel}: no language link (p.lang-switch a)"
    with page.expect_navigation() as nav:
        link.first.click()
    response = nav.value
    assert response is not None and response.status == 200, (
        f"{rel}: the language link led to {page.url} with HTTP {response and response.status}"
    )
    assert _path(page.url) == _path(visit.url(other)), f"{rel}: the language link led to {page.url}, not {other}"
    back = page.locator("p.lang-switch a")
    assert back.count() >= 1, f"{other}: no language link (p.lang-switch a)"
    back_url = back.first.evaluate("a => a.href")
    assert _path(back_url) == _path(visit.url(rel)), f"{other}: the language link points to {back_url}, not {rel}"
