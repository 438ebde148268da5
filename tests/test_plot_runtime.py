"""ebm_course.plot (Korean glyphs, colours), ebm_course.runtime (seed, device, setup) and ebm_course.i18n."""

from __future__ import annotations

import io
import logging
import random
import sys
import warnings
from pathlib import Path

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib import colors as mcolors  # noqa: E402
from matplotlib import font_manager  # noqa: E402

import ebm_course as ec  # noqa: E402
from ebm_course import i18n, plot, runtime  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
GLYPH_PROBLEM = ("glyph", "missing", "not found", "substituting")


@pytest.fixture
def style():
    """The book's style, undone afterwards (use_style changes rcParams globally)."""
    with mpl.rc_context():
        plot.use_style()
        yield
    plt.close("all")


@pytest.fixture
def language():
    before = i18n.get_language()
    yield
    i18n.set_language(before)


def render(draw) -> tuple[bytes, list[str]]:
    """Draw a figure and save it as PNG with Agg; return the PNG and every warning or log line about fonts."""
    records: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler, logger = Collect(level=logging.DEBUG), logging.getLogger("matplotlib")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = draw()
            buf = io.BytesIO()
            fig.savefig(buf, format="png")
            plt.close(fig)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    messages = [str(w.message) for w in caught] + [r.getMessage() for r in records]
    font_messages = [m for m in messages if any(p in m.lower() for p in GLYPH_PROBLEM)]
    return buf.getvalue(), font_messages


def korean_figure():
    fig, ax = plt.subplots(figsize=(4, 3), dpi=60)
    y = np.linspace(-2, 2, 50)
    ax.plot(y, y**2, label="에너지 E(y)")
    ax.plot(y, -(y**2), label="음의 에너지 −E(ỹ)")
    ax.set_title("깁스 분포: β가 커질수록 최솟값에 몰린다")
    ax.set_xlabel("관측 y와 오염된 입력 ỹ (y\u0303)")
    ax.set_ylabel("자유 에너지 F_β − min E")
    ax.text(0, 0, "β = 2, −1.5, ŷ, ȳ")
    ax.legend()
    fig.suptitle("한글 제목 β ỹ −")
    return fig


# ------------------------------------------------------------------------------------------------ plot


def test_korean_font_files_are_nanum_gothic_from_the_koreanize_matplotlib_package():
    files = plot.korean_font_files()
    assert files, "no NanumGothic file found"
    assert all(f.is_file() and f.name.startswith("NanumGothic") and f.suffix == ".ttf" for f in files)
    assert any("koreanize_matplotlib" in f.parts for f in files)


def test_korean_font_files_are_found_without_importing_koreanize_matplotlib():
    # its import needs distutils, which Python 3.12 lacks
    already = "koreanize_matplotlib" in sys.modules
    plot.korean_font_files()
    plot.register_korean_font()
    assert ("koreanize_matplotlib" in sys.modules) == already


def test_use_style_registers_nanum_gothic_first_and_turns_unicode_minus_off(style):
    names = {f.name for f in font_manager.fontManager.ttflist}
    assert plot.KOREAN_FONT == "NanumGothic" and "NanumGothic" in names
    assert mpl.rcParams["font.family"][0] == "NanumGothic"
    assert "DejaVu Sans" in mpl.rcParams["font.family"]
    assert mpl.rcParams["axes.unicode_minus"] is False
    path = font_manager.findfont(font_manager.FontProperties(family="NanumGothic"), fallback_to_default=False)
    assert Path(path).name.startswith("NanumGothic")


def test_use_style_again_adds_no_font_entries(style):
    files = {str(f) for f in plot.korean_font_files()}
    before = sorted(f.fname for f in font_manager.fontManager.ttflist if f.fname in files)
    assert set(before) == files
    plot.use_style()
    plot.register_korean_font()
    after = sorted(f.fname for f in font_manager.fontManager.ttflist if f.fname in files)
    assert after == before


def test_korean_figure_with_beta_y_tilde_and_minus_renders_with_no_missing_glyph(style):
    png, problems = render(korean_figure)
    assert png.startswith(PNG)
    assert problems == []


def test_the_glyph_check_does_see_hangul_missing_from_dejavu_sans():
    # the detector in the test above is not blind: without the Korean font, Hangul is reported missing
    with mpl.rc_context({"font.family": ["DejaVu Sans"]}):
        _, problems = render(korean_figure)
    assert any("Glyph" in m and "missing" in m for m in problems)


def test_the_dejavu_fallback_is_what_supplies_minus_and_y_tilde(style):
    # NanumGothic alone lacks U+2212 and y-tilde: the fallback in font.family is needed, not decoration
    with mpl.rc_context({"font.family": ["NanumGothic"]}):
        _, problems = render(korean_figure)
    assert any("MINUS SIGN" in m for m in problems)
    assert any("Y WITH TILDE" in m for m in problems)


def test_colors_are_valid_and_distinct_for_every_symbol():
    for key in ("y", "z", "y_bar", "y_tilde", "prototype", "energy", "prob", "truth"):
        assert key in plot.COLORS
    rgb = [mcolors.to_rgb(c) for c in plot.COLORS.values()]
    assert len(set(rgb)) == len(rgb)
    # not just different strings: any two are visibly apart
    dist = min(np.linalg.norm(np.subtract(a, b)) for i, a in enumerate(rgb) for b in rgb[i + 1 :])
    assert dist > 0.1


def test_use_style_cycles_through_the_symbol_colours_on_white(style):
    cycle = [c.lower() for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert cycle[:2] == [plot.COLORS["y"].lower(), plot.COLORS["z"].lower()]
    assert mcolors.to_rgb(mpl.rcParams["figure.facecolor"]) == (1.0, 1.0, 1.0)
    assert mcolors.to_rgb(mpl.rcParams["savefig.facecolor"]) == (1.0, 1.0, 1.0)


# --------------------------------------------------------------------------------------------- runtime


def test_seed_everything_makes_torch_numpy_and_random_reproducible():
    def draw():
        return torch.randn(5), np.random.rand(3), random.random()

    assert ec.seed_everything(123) == 123
    t1, n1, r1 = draw()
    ec.seed_everything(123)
    t2, n2, r2 = draw()
    assert torch.equal(t1, t2) and np.array_equal(n1, n2) and r1 == r2
    ec.seed_everything(124)
    assert not torch.equal(torch.randn(5), t1)


def test_seed_everything_accepts_large_and_numpy_seeds():
    assert ec.seed_everything(2**40) == 2**40
    assert ec.seed_everything(np.int64(7)) == 7


@pytest.mark.parametrize("seed", [-1, -(2**40), 1.5, "0", None, True])
def test_seed_everything_rejects_bad_seeds_naming_the_seed(seed):
    with pytest.raises((ValueError, TypeError), match="seed"):
        ec.seed_everything(seed)


def test_get_device_is_cpu_here_and_cpu_when_asked():
    expected = torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")
    assert ec.get_device() == expected
    assert ec.get_device("cpu") == torch.device("cpu")
    assert isinstance(ec.get_device(), torch.device)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_get_device_cuda_without_cuda_raises_naming_prefer():
    with pytest.raises(ValueError, match="prefer"):
        ec.get_device("cuda")


@pytest.mark.parametrize("prefer", ["gpu", "CPU", "mps", 0])
def test_get_device_rejects_unknown_devices_naming_prefer(prefer):
    with pytest.raises(ValueError, match="prefer"):
        ec.get_device(prefer)


def test_setup_sets_language_style_and_seed_and_returns_a_device(language):
    with mpl.rc_context():
        device = ec.setup(lang="ko", seed=5)
        assert mpl.rcParams["font.family"][0] == "NanumGothic"
    assert isinstance(device, torch.device)
    assert device == ec.get_device()
    assert i18n.get_language() == "ko"
    after_setup = torch.randn(4)
    torch.manual_seed(5)
    assert torch.equal(after_setup, torch.randn(4))
    with mpl.rc_context():
        assert ec.setup(lang="en", device="cpu") == torch.device("cpu")
    assert i18n.get_language() == "en"


def test_setup_with_a_bad_language_raises_naming_lang(language):
    with pytest.raises(ValueError, match="lang"):
        ec.setup(lang="fr")


def test_progress_bar_is_the_iterable_itself_when_disabled(monkeypatch):
    items = [1, 2, 3]
    assert runtime.progress_bar(items, enabled=False) is items
    monkeypatch.setenv("EBM_COURSE_NO_PROGRESS", "1")
    assert runtime.progress_bar(items) is items
    monkeypatch.delenv("EBM_COURSE_NO_PROGRESS")
    bar = runtime.progress_bar(items, desc="x")
    assert list(bar) == items
    bar.close()


def test_not_in_colab_here():
    assert ec.in_colab() is False


def test_seed_everything_rejects_seeds_torch_cannot_hold():
    with pytest.raises(ValueError, match="seed"):
        ec.seed_everything(2**70)


def test_setup_with_a_bad_seed_changes_nothing():
    i18n.set_language("en")
    with pytest.raises(ValueError, match="seed"):
        ec.setup(lang="ko", seed=-1)
    assert i18n.get_language() == "en"


@pytest.mark.parametrize(
    "call",
    [
        lambda s: ec.data.Spiral().sample(3, seed=s),
        lambda s: ec.data.sample_ellipse(3, seed=s),
        lambda s: ec.dae.DAE(2, hidden=4, seed=s),
        lambda s: ec.dae.corrupt(torch.zeros(2, 2), 0.1, seed=s),
        lambda s: ec.kmeans.kmeans_plusplus(torch.rand(5, 2, dtype=torch.float64), 2, seed=s),
    ],
)
def test_every_seed_must_fit_a_torch_generator(call):
    for bad, err in ((-1, ValueError), (2**63, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(err, match="seed"):
            call(bad)
    call(2**63 - 1)


# ------------------------------------------------------------------------------------------------ i18n


def test_set_language_switches_t_and_get_language(language):
    assert i18n.set_language("ko") == "ko" and i18n.get_language() == "ko"
    assert i18n.t(ko="가", en="a") == "가"
    assert i18n.t(ko="가", en="a", lang="en") == "a"
    i18n.set_language("en")
    assert i18n.t(ko="가", en="a") == "a"


@pytest.mark.parametrize("lang", ["fr", "KO", "", None, "english"])
def test_set_language_rejects_other_languages_naming_lang(language, lang):
    before = i18n.get_language()
    with pytest.raises(ValueError, match="lang"):
        i18n.set_language(lang)
    assert i18n.get_language() == before
    with pytest.raises(ValueError, match="lang"):
        i18n.t(ko="가", en="a", lang=lang or "fr")


# --- log axes -----------------------------------------------------------------------------------


def _render_and_collect_glyph_warnings(fig, caplog) -> list[str]:
    import io
    import logging

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="matplotlib"):
        fig.savefig(io.BytesIO(), format="png")
    return [r.getMessage() for r in caplog.records if "glyph" in r.getMessage()]


def test_log_axis_labels_decades_without_a_missing_glyph(style, caplog):
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1e-3, 1e-1, 10])
    plot.log_axis(ax, "y")
    ax.set_title("에너지 (로그 축)")
    assert _render_and_collect_glyph_warnings(fig, caplog) == []
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert r"$10^{\text{-3}}$" in labels and r"$10^{1}$" in labels
    assert ax.get_yscale() == "log" and ax.get_xscale() == "linear"


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="matplotlib's log labels (10^-3) use a minus the Korean font lacks, which is why log_axis exists; "
    "once matplotlib draws it, this passes and (strict) fails the run: log_axis may then go",
)
def test_a_plain_log_scale_draws_every_glyph_with_the_korean_font(style, caplog):
    fig, ax = plt.subplots()
    ax.plot([1, 2, 3], [1e-3, 1e-1, 10])
    ax.set_yscale("log")
    assert _render_and_collect_glyph_warnings(fig, caplog) == []


def test_log_axis_both_and_between_decades():
    fig, ax = plt.subplots()
    plot.log_axis(ax, "both")
    assert ax.get_xscale() == ax.get_yscale() == "log"
    assert plot._power_of_ten(0.5) == "" and plot._power_of_ten(0.0) == "" and plot._power_of_ten(100.0) == "$10^{2}$"
    plt.close(fig)


def test_log_axis_rejects_bad_arguments():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="axis"):
        plot.log_axis(ax, "z")
    with pytest.raises(TypeError, match="ax"):
        plot.log_axis(fig, "y")
    plt.close(fig)
