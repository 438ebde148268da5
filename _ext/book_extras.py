"""Local Sphinx extension of the book.

* Language switch: every page under ``*/ko/`` gets a link to the same page under ``*/en/`` and
  back. The link is a ``doc`` cross-reference, so a missing counterpart is a build warning
  (an error under ``-W``).
* Korean pages carry ``lang="ko"`` on their <html> element (fonts, screen readers).
* Duplicate inline scripts are dropped (sphinx-thebe declares THEBE_JS_URL twice, which throws
  a console error on every page), and so is the ipywidgets state: the book loads no widget JS.
* The ``benchmark-results`` directive renders ``benchmarks/results.json`` (written by ``make bench``)
  as tables in the page's language, each figure next to its target, so the report page can never
  quote a number the measurements do not hold.
"""

from __future__ import annotations

import json
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.util.docutils import SphinxDirective

LANG_NAMES = {"ko": "한국어", "en": "English"}


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
    scripts = context.get("script_files")
    if scripts:
        scripts[:] = _clean_scripts(scripts)


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
            "KMeansEBM.fit, fastest of {repeats} runs (ms)",
            "scikit-learn KMeans, fastest of {repeats} runs (ms)",
            "time ratio (KMeansEBM / scikit-learn)",
            "time ratio of the medians",
            "relative difference of the final energies",
            "z-steps (KMeansEBM) / iterations (scikit-learn)",
        ],
        "ko": [
            "KMeansEBM.fit, {repeats}번 중 가장 빠른 실행 (ms)",
            "scikit-learn KMeans, {repeats}번 중 가장 빠른 실행 (ms)",
            "시간 비율 (KMeansEBM / scikit-learn)",
            "중앙값끼리의 시간 비율",
            "최종 에너지의 상대 차이",
            "z 단계 수 (KMeansEBM) / 반복 수 (scikit-learn)",
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
        out.append(_table(TEXT["kmeans"][lang], rows))
    return out


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
    app.connect("doctree-read", add_language_switch)
    app.connect("html-page-context", set_page_language, priority=900)  # after myst-nb adds its scripts
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "0.1"}
