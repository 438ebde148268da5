"""Local Sphinx extension of the book.

* Language switch: every page under ``*/ko/`` gets a link to the same page under ``*/en/`` and
  back. The link is a ``doc`` cross-reference, so a missing counterpart is a build warning
  (an error under ``-W``).
* Korean pages carry ``lang="ko"`` on their <html> element (fonts, screen readers).
* One edition per page: the sidebar of a page under ``*/ko/`` lists only the part of ``_toc.yml``
  whose pages are Korean, plus one link into the English edition (and the other way round); a page
  in no language folder (the front door, the search page) lists only the links into the editions.
  The previous/next links never cross from one edition into the other. All of it happens when the
  page is written, so the sidebar needs no JavaScript.
* Search prefers the reader's edition: each page names its edition in a ``<meta>`` tag, and
  ``_static/book-search.js`` ranks the results of that edition first.
* The ``edition`` directive wraps the front door's text of one language in ``<div lang="..">``.
* Duplicate inline scripts are dropped (sphinx-thebe declares THEBE_JS_URL twice, which throws
  a console error on every page), and so is the ipywidgets state: the book loads no widget JS.
* The ``benchmark-results`` directive renders ``benchmarks/results.json`` (written by ``make bench``)
  as tables in the page's language, each figure next to its target, so the report page can never
  quote a number the measurements do not hold.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path

from bs4 import BeautifulSoup
from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

LANG_NAMES = {"ko": "한국어", "en": "English"}
# The sidebar's link into an edition, in that edition's language.
EDITION_NAMES = {"ko": "한국어판", "en": "English edition"}


def counterpart(docname: str) -> tuple[str, str] | None:
    parts = docname.split("/")
    for i, p in enumerate(parts[:-1]):
        if p in LANG_NAMES:
            other = "en" if p == "ko" else "ko"
            return "/".join(parts[:i] + [other] + parts[i + 1 :]), other
    return None


def page_language(docname: str) -> str | None:
    for p in docname.split("/")[:-1]:
        if p in LANG_NAMES:
            return p
    return None


def add_language_switch(app, doctree):
    docname = app.env.docname
    found = counterpart(docname)
    if found is None:
        return
    target, other = found
    xref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget="/" + target, refexplicit=True, refwarn=True
    )
    xref += nodes.inline("", LANG_NAMES[other], classes=["lang-switch-label"])
    para = nodes.paragraph("", "", classes=["lang-switch"])
    para += xref
    doctree.insert(0, para)


def set_page_language(app, pagename, templatename, context, doctree):
    lang = page_language(pagename)
    if lang:
        context["language"] = lang
        context["lang_attr"] = lang
        context["metatags"] = context.get("metatags", "") + f'\n<meta name="ebm-edition" content="{lang}" />'
    scripts = context.get("script_files")
    if scripts:
        scripts[:] = _clean_scripts(scripts)


def one_edition_navigation(app, pagename, templatename, context, doctree):
    """The sidebar's toctree and the previous/next links of ``pagename`` stay in its edition.

    Connected before the theme's handlers: the theme renders (and caches) the sidebar's toctree
    while its own handlers run, through ``context["toctree"]``.
    """
    lang = page_language(pagename)
    toctree = context.get("toctree")
    if callable(toctree):
        uri = app.builder.get_target_uri(pagename)

        def one_edition(**kwargs):
            return one_edition_toctree(toctree(**kwargs), uri, lang)

        context["toctree"] = one_edition
    relations = getattr(app.builder, "relations", {}).get(pagename)
    if relations:
        # A page of one edition links on within it (or back to the front door); the front door,
        # of neither edition, offers both in its text and leads into neither by "next".
        for key, other in (("prev", relations[1]), ("next", relations[2])):
            if other and page_language(other) not in (None, lang):
                context[key] = None


def _href_language(href: str, page_uri: str) -> str | None:
    """The edition of the page a sidebar link points to (``href`` is relative to ``page_uri``)."""
    path = href.split("#", 1)[0]
    if "://" in path or path.startswith(("mailto:", "/")):
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page_uri), path)) if path else page_uri
    return page_language(target)


def one_edition_toctree(html: str, page_uri: str, lang: str | None) -> str:
    """The sidebar toctree ``html`` of the page at ``page_uri`` with one edition only.

    A part (a caption and the list after it) whose links all lead into one edition other than
    ``lang`` is removed and replaced by one link to its first page, labelled in its own language;
    with ``lang=None`` every single-language part is replaced that way. Parts that mix
    editions, or a toctree without parts, are left as they are.
    """
    if lang is not None and lang not in LANG_NAMES:
        raise ValueError(f"lang must be one of {sorted(LANG_NAMES)} or None (got {lang!r})")
    soup = BeautifulSoup(html, "html.parser")
    entries = []
    for caption in soup.find_all("p", class_="caption"):
        toclist = caption.find_next_sibling()
        if toclist is None or toclist.name != "ul":
            continue
        links = toclist.find_all("a", href=True)
        langs = {_href_language(a["href"], page_uri) for a in links}
        if len(langs) != 1 or None in langs or langs == {lang}:
            continue
        (part_lang,) = langs
        entries.append((part_lang, links[0]["href"]))
        caption.decompose()
        toclist.decompose()
    if entries:
        ul = soup.new_tag("ul", attrs={"class": "ebm-edition-links"})
        for part_lang, href in entries:
            li = soup.new_tag("li", attrs={"class": "toctree-l1"})
            a = soup.new_tag("a", attrs={"class": "reference internal", "href": href, "hreflang": part_lang})
            a["lang"] = part_lang
            a.string = EDITION_NAMES[part_lang]
            li.append(a)
            ul.append(li)
        soup.append(ul)
    return str(soup)


class edition_block(nodes.General, nodes.Element):
    """The front door's text in one language: ``<div lang="..">``."""


def _visit_edition_html(self, node):
    self.body.append(self.starttag(node, "div", CLASS="ebm-edition", lang=node["lang"]))


def _depart_edition_html(self, node):
    self.body.append("</div>\n")


class Edition(SphinxDirective):
    """``edition``: its content, marked as written in the language given as the argument."""

    required_arguments = 1
    has_content = True

    def run(self):
        lang = self.arguments[0].strip()
        if lang not in LANG_NAMES:
            raise self.error(f"edition: the language must be one of {sorted(LANG_NAMES)} (got {lang!r})")
        node = edition_block("", lang=lang)
        self.set_source_info(node)
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


def _clean_scripts(scripts):
    """Drop duplicate inline scripts and the ipywidgets state (no widget JS runs in the book)."""
    seen, kept = set(), []
    for s in scripts:
        attrs = dict(getattr(s, "attributes", {}) or {})
        if attrs.get("type") == "application/vnd.jupyter.widget-state+json":
            continue
        key = (str(getattr(s, "filename", s) or ""), tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(s)
    return kept


TEXT = {
    "machine": {
        "en": "Measured on {date}: Python {python}, torch {torch}, {cpus} CPU cores, {gpu}.",
        "ko": "측정: {date}, Python {python}, torch {torch}, CPU 코어 {cpus}개, {gpu}.",
    },
    "notebooks": {
        "en": ["chapter", "Korean (s)", "English (s)", "target (s)", "meets it"],
        "ko": ["장", "한국어 (초)", "영어 (초)", "목표 (초)", "달성"],
    },
    "explorers": {
        "en": ["chapter", "slider", "median (ms)", "90th percentile (ms)", "target median (ms)", "meets it"],
        "ko": ["장", "슬라이더", "중앙값 (ms)", "90번째 백분위수 (ms)", "목표 중앙값 (ms)", "달성"],
    },
    "kmeans": {
        "en": ["measurement", "value", "target", "meets it"],
        "ko": ["측정 항목", "값", "목표", "달성"],
    },
    "kmeans_rows": {
        "en": [
            "KMeansEBM.fit, CPU time, fastest of {repeats} runs (ms)",
            "scikit-learn KMeans, CPU time, fastest of {repeats} runs (ms)",
            "time ratio (KMeansEBM / scikit-learn, CPU time)",
            "time ratio of the medians (wall clock)",
            "relative difference of the final energies",
            "z-steps (KMeansEBM) / iterations (scikit-learn)",
            "processor",
        ],
        "ko": [
            "KMeansEBM.fit, CPU 시간, {repeats}번 중 가장 빠른 실행 (ms)",
            "scikit-learn KMeans, CPU 시간, {repeats}번 중 가장 빠른 실행 (ms)",
            "시간 비율 (KMeansEBM / scikit-learn, CPU 시간)",
            "중앙값끼리의 시간 비율 (벽시계 시간)",
            "최종 에너지의 상대 차이",
            "z 단계 수 (KMeansEBM) / 반복 수 (scikit-learn)",
            "프로세서",
        ],
    },
    "masked": {
        "en": ["notebook", "mask ratio", "KL(true ‖ model), nats", "KL, context ignored", "target", "meets it"],
        "ko": ["노트북", "마스크 비율", "KL(참 ‖ 모델), 내트", "KL, 문맥 무시", "목표", "달성"],
    },
    "masked_lang": {"en": {"en": "English", "ko": "Korean"}, "ko": {"en": "영어", "ko": "한국어"}},
    "masked_mean": {"en": "mean", "ko": "평균"},
    "no_gpu": {"en": "no GPU", "ko": "GPU 없음"},
    "yes": {"en": "yes", "ko": "예"},
    "no": {"en": "NO", "ko": "아니요"},
}


def _table(headers: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table(classes=["benchmark-table"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for _ in headers:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for target, cells in ((head, headers), *((body, r) for r in rows)):
        row = nodes.row()
        for cell in cells:
            entry = nodes.entry()
            entry += nodes.paragraph(text=str(cell))
            row += entry
        target += row
    return table


def _meets(ok: bool, lang: str) -> str:
    return TEXT["yes" if ok else "no"][lang]


def benchmark_tables(results: dict, lang: str) -> list[nodes.Node]:
    """The measurements of ``results`` (benchmarks/results.json) as docutils nodes, in ``lang``."""
    if lang not in ("ko", "en"):
        raise ValueError(f'lang must be "ko" or "en" (got {lang!r})')
    machine = results["machine"]
    facts = {**machine, "date": machine.get("date", "?"), "gpu": machine.get("gpu") or TEXT["no_gpu"][lang]}
    out: list[nodes.Node] = [nodes.paragraph(text=TEXT["machine"][lang].format(**facts))]

    chapters = sorted({key.split("/", 1)[1] for key in results["notebooks"]})
    rows = []
    for slug in chapters:
        ko, en = results["notebooks"].get(f"ko/{slug}"), results["notebooks"].get(f"en/{slug}")
        target = (ko or en)["target_s"]
        seconds = [r["seconds"] for r in (ko, en) if r]
        rows.append(
            [
                slug,
                f"{ko['seconds']:.1f}" if ko else "-",
                f"{en['seconds']:.1f}" if en else "-",
                f"{target:g}",
                _meets(max(seconds) <= target, lang),
            ]
        )
    out.append(_table(TEXT["notebooks"][lang], rows))

    rows = []
    for key, e in sorted(results["explorers"].items()):
        rows.append(
            [
                key.split("#")[0],
                e["label"],
                f"{e['median_ms']:.0f}",
                f"{e['p90_ms']:.0f}",
                f"{e['target_median_ms']:g}",
                _meets(e["median_ms"] <= e["target_median_ms"], lang),
            ]
        )
    out.append(_table(TEXT["explorers"][lang], rows))

    k = results.get("kmeans")
    if k:
        names = [n.format(repeats=k["repeats"]) for n in TEXT["kmeans_rows"][lang]]
        rows = [
            [names[0], f"{k['ours_ms']:.1f}", "", ""],
            [names[1], f"{k['sklearn_ms']:.1f}", "", ""],
            [
                names[2],
                f"{k['time_ratio']:.2f}",
                f"≤ {k['time_ratio_target']:g}",
                _meets(k["time_ratio"] <= k["time_ratio_target"], lang),
            ],
            [names[3], f"{k['median_time_ratio']:.2f}", "", ""],
            [
                names[4],
                f"{k['energy_rel_diff']:.1e}",
                f"≤ {k['energy_rel_diff_target']:g}",
                _meets(k["energy_rel_diff"] <= k["energy_rel_diff_target"], lang),
            ],
            [names[5], f"{k['ours_z_steps']} / {k['sklearn_iterations']}", "", ""],
        ]
        if k.get("cpu_model"):
            rows.append([names[6], k["cpu_model"], "", ""])
        out.append(_table(TEXT["kmeans"][lang], rows))
    return out


CD_TEXT = {
    "headers": {
        "en": ["method", "held-out NLL (nats)", "minus the exact fit", "training time (s)", "within 0.3 nats"],
        "ko": ["방법", "테스트 NLL (nat)", "정확한 적합과의 차이", "학습 시간 (초)", "0.3 nat 이내"],
    },
    "names": {
        "en": {
            "exact": "exact maximum likelihood (reference)",
            "cd": "the note's CD (kick, then gradient descent)",
            "cd_langevin": "CD with Langevin (from the data)",
            "persistent": "persistent Langevin",
            "hmc": "HMC (persistent chains)",
            "metropolis": "Metropolis (persistent chains)",
            "uniform": "uniform Monte Carlo",
            "entropy": "true density (entropy, the limit)",
        },
        "ko": {
            "exact": "정확한 최대 가능도 (기준)",
            "cd": "노트의 CD (충격 뒤 경사 하강)",
            "cd_langevin": "랑주뱅 CD (데이터에서 시작)",
            "persistent": "지속 랑주뱅",
            "hmc": "HMC (지속 체인)",
            "metropolis": "메트로폴리스 (지속 체인)",
            "uniform": "균등 몬테카를로",
            "entropy": "참 밀도 (엔트로피, 한계)",
        },
    },
    "samplers": {
        "en": ["sampler (true mixture energy)", "acceptance rate", "effective samples per second"],
        "ko": ["샘플러 (참 혼합 분포의 에너지)", "받아들임 비율", "초당 유효 샘플 수"],
    },
    "sampler_names": {
        "en": {"metropolis": "Metropolis", "langevin": "Langevin", "hmc": "HMC"},
        "ko": {"metropolis": "메트로폴리스", "langevin": "랑주뱅", "hmc": "HMC"},
    },
}


def cd_tables(results: dict, lang: str) -> list[nodes.Node]:
    """Chapter 7's table (``results["cd"]``, written by benchmarks/bench_cd.py) and its samplers, in ``lang``."""
    if lang not in ("ko", "en"):
        raise ValueError(f'lang must be "ko" or "en" (got {lang!r})')
    cd = results["cd"]
    names = CD_TEXT["names"][lang]
    rows = [[names["exact"], f"{cd['exact_nll']:.3f}", "0", f"{cd['exact_seconds']:.1f}", ""]]
    for key, r in cd["methods"].items():
        ok = r["gap"] <= cd["best_gap_target"]
        rows.append(
            [names.get(key, key), f"{r['nll']:.3f}", f"{r['gap']:+.3f}", f"{r['seconds']:.1f}", _meets(ok, lang)]
        )
    rows.append([names["entropy"], f"{cd['entropy']:.3f}", f"{cd['entropy'] - cd['exact_nll']:+.3f}", "", ""])
    out: list[nodes.Node] = [_table(CD_TEXT["headers"][lang], rows)]
    sampler_names = CD_TEXT["sampler_names"][lang]
    rows = [
        [sampler_names.get(k, k), f"{s['acceptance']:.2f}", f"{s['ess_per_s']:.0f}"] for k, s in cd["samplers"].items()
    ]
    out.append(_table(CD_TEXT["samplers"][lang], rows))
    return out


class CDResults(SphinxDirective):
    """Chapter 7's NLL table from ``benchmarks/results.json``; a page under */ko/ gets Korean names."""

    has_content = False

    def run(self):
        path = Path(self.env.srcdir) / "benchmarks" / "results.json"
        self.env.note_dependency(str(path))
        if not path.is_file():
            raise self.error(f"{path} is missing: run `make bench`")
        results = json.loads(path.read_text(encoding="utf-8"))
        if "cd" not in results:
            raise self.error("benchmarks/results.json has no 'cd' entry: run `make bench`")
        return cd_tables(results, page_language(self.env.docname) or "en")


def masked_table(results: dict, lang: str) -> list[nodes.Node]:
    """Chapter 6's masked model (``results["masked"]``, from benchmarks/bench_masked.py): the mean KL from
    the exact conditionals to the model's softmax at each mask ratio, in each notebook, next to its target."""
    if lang not in ("ko", "en"):
        raise ValueError(f'lang must be "ko" or "en" (got {lang!r})')
    m = results.get("masked")
    if not m:
        return [nodes.paragraph(text="benchmarks/results.json has no masked entry: run `make bench`")]
    target = m["mean_kl_target"]
    rows = []
    for nb in ("ko", "en"):
        r = m[nb]
        name = TEXT["masked_lang"][lang][nb]
        for ratio, kl in r["kl_by_ratio"].items():
            rows.append([name, ratio, f"{kl:.4f}", f"{r['kl_context_ignored'][ratio]:.3f}", "", ""])
        mean = TEXT["masked_mean"][lang]
        rows.append([name, mean, f"{r['mean_kl']:.4f}", "", f"≤ {target:g}", _meets(r["mean_kl"] <= target, lang)])
    return [_table(TEXT["masked"][lang], rows)]


class BenchmarkResults(SphinxDirective):
    """``benchmarks/results.json`` as tables; a page under */ko/ gets Korean headers.
    With the argument ``masked``, only chapter 6's table."""

    has_content = False
    optional_arguments = 1

    def run(self):
        path = Path(self.env.srcdir) / "benchmarks" / "results.json"
        self.env.note_dependency(str(path))
        if not path.is_file():
            raise self.error(f"{path} is missing: run `make bench`")
        results = json.loads(path.read_text(encoding="utf-8"))
        lang = page_language(self.env.docname) or "en"
        if self.arguments and self.arguments[0] == "masked":
            return masked_table(results, lang)
        return benchmark_tables(results, lang)


def setup(app):
    app.add_directive("benchmark-results", BenchmarkResults)
    app.add_node(edition_block, html=(_visit_edition_html, _depart_edition_html))
    app.add_directive("edition", Edition)
    app.add_js_file("book-search.js")
    app.add_directive("cd-results", CDResults)
    app.connect("doctree-read", add_language_switch)
    app.connect("html-page-context", one_edition_navigation, priority=100)
    app.connect("html-page-context", set_page_language, priority=900)  # after myst-nb adds its scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
