"""The report page's tables come from benchmarks/results.json, each figure next to its target."""

from __future__ import annotations

import copy
import importlib.util
import json

import pytest
from nbtools import ROOT


def _extension():
    spec = importlib.util.spec_from_file_location("book_extras", ROOT / "_ext" / "book_extras.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results():
    return json.loads((ROOT / "benchmarks" / "results.json").read_text(encoding="utf-8"))


def _rows(table):
    return [[entry.astext() for entry in row.children] for row in table.findall(lambda n: n.tagname == "row")]


def test_results_cover_both_languages_and_the_explorers_of_each_benchmarked_chapter(results):
    """A chapter not benchmarked yet is accepted (the next `make bench` adds it); one that has been, is
    measured in both languages, with its explorer if it has one, and no entry names a chapter that is gone."""
    from nbtools import chapters, read

    benchmarked = {key.split("/", 1)[1] for key in results["notebooks"]}
    assert benchmarked, "make bench: no chapter measured"
    assert benchmarked <= set(chapters()), f"results of chapters that no longer exist: {benchmarked - set(chapters())}"
    explorer_chapters = {key.split("#")[0] for key in results["explorers"]}
    assert explorer_chapters <= benchmarked
    for slug in benchmarked:
        assert f"ko/{slug}" in results["notebooks"] and f"en/{slug}" in results["notebooks"], f"make bench: {slug}"
        if any("ec.Explorer(" in c.source for c in read("en", slug).cells if c.cell_type == "code"):
            assert slug in explorer_chapters, f"no explorer timing for {slug}: run make bench"
    assert "kmeans" in results


def test_a_chapter_missing_from_the_results_leaves_the_other_rows(results):
    ext = _extension()
    fewer = copy.deepcopy(results)
    slug = sorted(fewer["notebooks"])[0].split("/", 1)[1]
    for key in [k for k in fewer["notebooks"] if k.endswith("/" + slug)]:
        del fewer["notebooks"][key]
    fewer["explorers"] = {k: v for k, v in fewer["explorers"].items() if not k.startswith(slug)}
    notebooks, explorers, _ = (n for n in ext.benchmark_tables(fewer, "en") if n.tagname == "table")
    rows = _rows(notebooks)[1:]
    assert slug not in [r[0] for r in rows]
    assert len(rows) == len({k.split("/")[1] for k in results["notebooks"]}) - 1
    assert len(_rows(explorers)) == 1 + len(fewer["explorers"])


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_tables_show_each_measured_number_and_whether_it_meets_its_target(results, lang):
    ext = _extension()
    out = ext.benchmark_tables(results, lang)
    text = " ".join(n.astext() for n in out)
    notebooks, explorers, kmeans = (n for n in out if n.tagname == "table")
    for key, r in results["notebooks"].items():
        row = next(r_ for r_ in _rows(notebooks) if r_[0] == key.split("/")[1])
        assert f"{r['seconds']:.1f}" in row
    assert len(_rows(notebooks)) == 1 + len({k.split("/")[1] for k in results["notebooks"]})
    assert len(_rows(explorers)) == 1 + len(results["explorers"])
    assert f"{results['kmeans']['time_ratio']:.2f}" in kmeans.astext()
    assert results["kmeans"]["cpu_model"] in kmeans.astext()  # the processor the race was run on
    assert results["machine"]["torch"] in text
    yes, no = ext.TEXT["yes"][lang], ext.TEXT["no"][lang]
    verdicts = [row[-1] for t in (notebooks, explorers) for row in _rows(t)[1:]]
    expected = [
        yes if max(v["seconds"] for k, v in results["notebooks"].items() if k.endswith(s)) <= 20 else no
        for s in sorted({k.split("/")[1] for k in results["notebooks"]})
    ]
    expected += [
        yes if e["median_ms"] <= e["target_median_ms"] else no for _, e in sorted(results["explorers"].items())
    ]
    assert verdicts == expected


def test_a_missed_target_says_so(results):
    ext = _extension()
    worse = copy.deepcopy(results)
    key = sorted(worse["notebooks"])[0]
    worse["notebooks"][key]["seconds"] = 99.0
    first_explorer = sorted(worse["explorers"])[0]
    worse["explorers"][first_explorer]["median_ms"] = 250.0
    worse["kmeans"]["time_ratio"] = 1.5
    notebooks, explorers, kmeans = (n for n in ext.benchmark_tables(worse, "en") if n.tagname == "table")
    assert (
        _rows(notebooks)[1 + sorted({k.split("/")[1] for k in worse["notebooks"]}).index(key.split("/")[1])][-1] == "NO"
    )
    assert _rows(explorers)[1][-1] == "NO"
    assert any(row[0].startswith("time ratio (") and row[-1] == "NO" for row in _rows(kmeans))


def test_tables_reject_an_unknown_language(results):
    with pytest.raises(ValueError, match="lang"):
        _extension().benchmark_tables(results, "fr")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_cd_table_shows_every_method_its_gap_to_the_exact_fit_and_whether_it_meets_the_target(results, lang):
    ext = _extension()
    cd = results["cd"]
    nll_table, sampler_table = ext.cd_tables(results, lang)
    rows = _rows(nll_table)
    assert len(rows) == 1 + 1 + len(cd["methods"]) + 1  # header, exact fit, methods, entropy
    yes, no = ext.TEXT["yes"][lang], ext.TEXT["no"][lang]
    for key, r in cd["methods"].items():
        row = next(row for row in rows if row[0] == ext.CD_TEXT["names"][lang][key])
        assert row[1] == f"{r['nll']:.3f}" and row[2] == f"{r['gap']:+.3f}"
        assert row[-1] == (yes if r["gap"] <= cd["best_gap_target"] else no)
    assert f"{cd['entropy']:.3f}" in rows[-1]
    assert cd["best_gap"] <= cd["best_gap_target"]  # the design's target: the best method within 0.3 nats
    assert len(_rows(sampler_table)) == 1 + len(cd["samplers"])
    worse = copy.deepcopy(results)
    worse["cd"]["methods"]["uniform"]["gap"] = 0.5
    row = next(r for r in _rows(ext.cd_tables(worse, lang)[0]) if r[0] == ext.CD_TEXT["names"][lang]["uniform"])
    assert row[-1] == no


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_masked_table_shows_each_kl_and_whether_the_mean_meets_its_target(results, lang):
    ext = _extension()
    (table,) = ext.masked_table(results, lang)
    rows = _rows(table)
    m = results["masked"]
    for nb in ("ko", "en"):
        for ratio, kl in m[nb]["kl_by_ratio"].items():
            assert any(r[1] == ratio and r[2] == f"{kl:.4f}" for r in rows)
    means = [r for r in rows if r[1] == ext.TEXT["masked_mean"][lang]]
    assert [r[2] for r in means] == [f"{m[nb]['mean_kl']:.4f}" for nb in ("ko", "en")]
    assert [r[-1] for r in means] == [
        ext.TEXT["yes" if m[nb]["mean_kl"] <= m["mean_kl_target"] else "no"][lang] for nb in ("ko", "en")
    ]
    worse = copy.deepcopy(results)
    worse["masked"]["en"]["mean_kl"] = 0.5
    (table,) = ext.masked_table(worse, lang)
    assert _rows(table)[-1][-1] == ext.TEXT["no"][lang]
