"""ebm_course.widgets.Explorer: clamped slider values, PNG frames, one output carrying both the live widget
and a self-contained static scrubber."""

from __future__ import annotations

import base64
import json
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from ebm_course import i18n  # noqa: E402
from ebm_course.widgets import Explorer  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"
HANGUL = re.compile("[\uac00-\ud7a3]")
VALUES = np.linspace(0.5, 5.0, 10)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def make_explorer(values=VALUES, **kwargs):
    """An explorer over beta redrawing exp(-beta x); returns it and the list of values update saw."""
    fig, ax = plt.subplots(figsize=(2.0, 1.5), dpi=40)
    x = np.linspace(0, 3, 30)
    (line,) = ax.plot(x, np.exp(-x))
    ax.set_ylim(0, 1)
    calls = []

    def update(beta):
        calls.append(beta)
        line.set_ydata(np.exp(-beta * x))

    return Explorer(fig, update, values, "β", **kwargs), calls


@pytest.fixture(scope="module")
def explorer():
    ex, _ = make_explorer(frames=5)
    yield ex
    plt.close(ex.fig)


@pytest.fixture
def language():
    before = i18n.get_language()
    yield i18n.set_language
    i18n.set_language(before)


# ------------------------------------------------------------------------------------------------ clamp


@settings(max_examples=60, deadline=None)
@given(v=st.floats(allow_nan=False, allow_infinity=True))
def test_clamp_keeps_any_value_inside_the_allowed_set_at_the_nearest_one(explorer, v):
    c = explorer.clamp(v)
    assert c in explorer.values
    if v <= explorer.values[0]:
        assert c == explorer.values[0]
    elif v >= explorer.values[-1]:
        assert c == explorer.values[-1]
    else:
        assert abs(c - v) <= np.abs(explorer.values - v).min()


@settings(max_examples=40, deadline=None)
@given(a=st.floats(allow_nan=False), b=st.floats(allow_nan=False))
def test_clamp_is_non_decreasing(explorer, a, b):
    lo, hi = sorted((a, b))
    assert explorer.clamp(lo) <= explorer.clamp(hi)


def test_clamp_sends_huge_and_infinite_values_to_the_ends(explorer):
    # regression: far outside the range every |value - v| rounds to the same number and argmin picked the first
    assert explorer.clamp(1e20) == explorer.clamp(math.inf) == 5.0
    assert explorer.clamp(-1e20) == explorer.clamp(-math.inf) == 0.5


def test_clamp_of_nan_raises_naming_the_value(explorer):
    with pytest.raises(ValueError, match="value"):
        explorer.clamp(math.nan)


def test_explorer_starts_at_the_middle_value_or_at_the_clamped_given_one():
    ex, calls = make_explorer()
    assert ex.value == VALUES[len(VALUES) // 2] and calls == [ex.value]
    ex2, calls2 = make_explorer(value=100.0)
    assert ex2.value == 5.0 and calls2 == [5.0]


def test_explorer_sorts_and_deduplicates_its_values():
    ex, _ = make_explorer(values=[3.0, 1.0, 2.0, 1.0, 3.0])
    assert ex.values.tolist() == [1.0, 2.0, 3.0]


# ----------------------------------------------------------------------------------------------- frames


def test_step_returns_png_bytes_that_differ_between_two_values(explorer):
    a, b = explorer.step(0.5), explorer.step(5.0)
    assert a.startswith(PNG) and b.startswith(PNG)
    assert a != b
    assert explorer.step(0.5) == a  # the same value redraws the same frame


def test_step_clamps_the_value_and_passes_the_clamped_one_to_update():
    ex, calls = make_explorer()
    ex.step(1e9)
    assert ex.value == 5.0 and calls[-1] == 5.0
    ex.step(0.74)
    assert ex.value == 0.5 and calls[-1] == 0.5


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 60), frames=st.integers(1, 40))
def test_frame_values_are_min_frames_n_sorted_values_including_both_ends(n, frames):
    ex = Explorer.__new__(Explorer)  # frame_values needs only values and frames: skip the drawing
    ex.values, ex.frames = np.linspace(-1.0, 1.0, n), min(frames, n)
    ex.value = ex.values[n // 3]
    fv = ex.frame_values()
    assert len(fv) == min(frames, n)
    assert np.all(np.isin(fv, ex.values))
    assert np.all(np.diff(fv) > 0)
    assert fv[0] == ex.values[0]
    if len(fv) >= 2:
        assert fv[-1] == ex.values[-1]
    if len(fv) >= 3:
        assert ex.value in fv, "the book's scrubber starts at the explorer's starting value"


def test_mime_bundle_has_the_live_widget_view_and_the_static_html(explorer):
    bundle = explorer._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and "text/html" in bundle
    model_id = bundle[WIDGET_VIEW]["model_id"]
    assert isinstance(model_id, str) and model_id
    assert model_id == explorer.widget().model_id
    assert bundle["text/plain"].startswith("Explorer(β")


def test_displayed_lists_the_explorers_shown_and_only_those():
    shown, _ = make_explorer(frames=2)
    hidden, _ = make_explorer(frames=2)
    shown._repr_mimebundle_()
    assert shown in Explorer.displayed() and hidden not in Explorer.displayed()
    plt.close(shown.fig)
    plt.close(hidden.fig)


def test_static_html_has_one_range_input_with_one_frame_per_frame_value_and_no_remote_url(explorer):
    html = explorer._repr_mimebundle_()["text/html"]
    n = len(explorer.frame_values())
    assert n == 5
    assert html.count('<input type="range"') == 1
    assert html.count("<input") == 1
    assert re.search(r'<input type="range" min="0" max="(\d+)"', html).group(1) == str(n - 1)
    frames = json.loads(re.search(r"var frames=(\[.*?\]);", html).group(1))
    labels = json.loads(re.search(r"var labels=(\[.*?\]);", html).group(1))
    assert len(frames) == len(labels) == n
    assert all(base64.b64decode(f).startswith(PNG) for f in frames)
    assert len(set(frames)) == n  # every frame shows its own value
    assert labels[0] == "β = 0.5" and labels[-1] == "β = 5"
    img = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(img) == 1 and img[0] in frames
    assert "http://" not in html and "https://" not in html
    assert "<script src" not in html


def test_static_html_starts_at_and_leaves_the_explorer_at_its_current_value():
    ex, calls = make_explorer(frames=4)
    ex.step(2.0)
    html = ex.static_html()
    assert ex.value == 2.0 and calls[-1] == 2.0
    start = int(re.search(r'type="range" min="0" max="\d+" step="1" value="(\d+)"', html).group(1))
    vals = ex.frame_values()
    assert start == int(np.abs(vals - 2.0).argmin())
    plt.close(ex.fig)


def test_frames_one_gives_a_single_frame_scrubber():
    ex, _ = make_explorer(frames=1)
    html = ex.static_html()
    assert len(ex.frame_values()) == 1
    assert 'min="0" max="0"' in html
    plt.close(ex.fig)


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_static_html_note_is_in_the_notebook_language(language, lang):
    language(lang)
    ex, _ = make_explorer(frames=2)
    note = re.search(r'<p class="ebm-explorer-note">(.*?)</p>', ex.static_html()).group(1)
    assert bool(HANGUL.search(note)) == (lang == "ko")
    plt.close(ex.fig)


def test_creating_an_explorer_does_not_leave_its_figure_open_in_pyplot():
    plt.close("all")
    ex, _ = make_explorer()
    assert ex.fig.number not in plt.get_fignums()
    assert plt.get_fignums() == []


# ---------------------------------------------------------------------------------------- live widget


def test_live_widget_slider_change_redraws_the_image():
    ex, calls = make_explorer()
    box = ex.widget()
    assert ex.widget() is box  # built once
    slider, image = box.children
    assert [v for _, v in slider.options] == VALUES.tolist()
    assert slider.value == ex.value
    before = image.value
    assert bytes(before).startswith(PNG)
    slider.value = float(VALUES[0])
    assert ex.value == VALUES[0] and calls[-1] == VALUES[0]
    assert image.value != before and bytes(image.value).startswith(PNG)
    plt.close(ex.fig)


# ------------------------------------------------------------------------------------------ bad input


def _fig():
    fig = plt.figure()
    plt.close(fig)
    return fig


BAD_INPUT = [
    ("values empty", lambda: Explorer(_fig(), lambda v: None, [], "β"), ValueError, "values"),
    ("values nan", lambda: Explorer(_fig(), lambda v: None, [1.0, math.nan], "β"), ValueError, "values"),
    ("values inf", lambda: Explorer(_fig(), lambda v: None, [1.0, math.inf], "β"), ValueError, "values"),
    ("fig None", lambda: Explorer(None, lambda v: None, [1.0], "β"), TypeError, "fig"),
    ("fig is axes", lambda: Explorer(_fig().add_subplot(), lambda v: None, [1.0], "β"), TypeError, "fig"),
    ("update not callable", lambda: Explorer(_fig(), 3, [1.0], "β"), TypeError, "update"),
    ("label empty", lambda: Explorer(_fig(), lambda v: None, [1.0], ""), ValueError, "label"),
    ("label None", lambda: Explorer(_fig(), lambda v: None, [1.0], None), ValueError, "label"),
    ("frames 0", lambda: Explorer(_fig(), lambda v: None, [1.0], "β", frames=0), ValueError, "frames"),
    ("frames -3", lambda: Explorer(_fig(), lambda v: None, [1.0], "β", frames=-3), ValueError, "frames"),
    ("frames float", lambda: Explorer(_fig(), lambda v: None, [1.0], "β", frames=2.5), ValueError, "frames"),
    ("frames bool", lambda: Explorer(_fig(), lambda v: None, [1.0], "β", frames=True), ValueError, "frames"),
    ("value nan", lambda: Explorer(_fig(), lambda v: None, [1.0], "β", value=math.nan), ValueError, "value"),
]


@pytest.mark.parametrize(("call", "exc", "name"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_raises_an_error_naming_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call()
