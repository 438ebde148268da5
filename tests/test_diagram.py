"""The block-diagram helper: each mark adds its patch in the course's colours; bad input names the argument."""

from __future__ import annotations

import matplotlib
import pytest
from matplotlib.colors import to_rgba
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle

from ebm_course import diagram, i18n
from ebm_course.diagram import GREY, RED, Diagram
from ebm_course.plot import COLORS

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture
def d():
    fig, ax = plt.subplots()
    yield Diagram(ax, xlim=(0, 10), ylim=(0, 6))
    plt.close(fig)


def test_the_axes_get_the_limits_an_equal_aspect_and_no_frame(d):
    assert d.ax.get_xlim() == (0, 10) and d.ax.get_ylim() == (0, 6)
    assert d.ax.get_aspect() == 1.0 and not d.ax.axison


def test_a_variable_is_a_grey_circle_when_observed_and_red_when_latent(d):
    d.variable((1, 1), "y")
    d.variable((3, 1), "z", latent=True)
    d.variable((5, 1), "ỹ", edge=COLORS["y_tilde"])
    y, z, y_tilde = d.ax.patches
    assert all(isinstance(p, Circle) for p in (y, z, y_tilde))
    assert y.get_facecolor() == to_rgba(GREY) and y.get_edgecolor() == to_rgba("#555555")
    assert z.get_facecolor() == to_rgba(RED) and z.get_edgecolor() == to_rgba(COLORS["z"])
    assert y_tilde.get_edgecolor() == to_rgba(COLORS["y_tilde"])
    assert [t.get_text() for t in d.ax.texts] == ["y", "z", "ỹ"]


def test_a_function_is_a_rounded_box_or_an_arched_one(d):
    d.function((2, 3), "Dec")
    d.function((6, 3), "W z", w=1.8, h=1.0, arch=0.45)
    box, arched = d.ax.patches
    assert isinstance(box, FancyBboxPatch) and (box.get_x(), box.get_width()) == pytest.approx((0.95, 2.1))
    assert isinstance(arched, Polygon)
    assert arched.get_xy()[:, 1].max() == pytest.approx(3.0 + 0.5 + 0.45, abs=1e-3)
    assert all(p.get_facecolor() == to_rgba("white") for p in (box, arched))


def test_the_cost_is_a_red_square_labelled_on_either_side(d):
    d.cost((5, 3), "C", side="left")
    d.cost((8, 3), "E", side="right")
    assert all(isinstance(p, Rectangle) and p.get_facecolor() == to_rgba(RED) for p in d.ax.patches)
    left, right = d.ax.texts
    assert left.get_ha() == "right" and left.get_position()[0] < 5 - 0.45
    assert right.get_ha() == "left" and right.get_position()[0] > 8 + 0.45


def test_an_arrow_is_a_fancy_arrow_patch(d):
    d.arrow((1, 1), (1, 3))
    assert [type(p) for p in d.ax.patches] == [FancyArrowPatch]


def test_a_bad_ax_names_ax():
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        Diagram("ax", xlim=(0, 1), ylim=(0, 1))


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda ax: Diagram(ax, xlim=(1, 0), ylim=(0, 1)), ValueError, "xlim must be a pair"),
        (lambda ax: Diagram(ax, xlim=(0, 1), ylim=5), TypeError, "ylim must be a pair"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).variable(1.0, "y"), TypeError, "xy must be a pair"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).variable((0, 0), "y", r=0), ValueError, "r must be a number > 0"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).variable((0, 0), "y", lw=-1), ValueError, "lw must be"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).function((0, 0), "f", w=0), ValueError, "w must be a number > 0"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).function((0, 0), "f", h="1"), ValueError, "h must be a number > 0"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).function((0, 0), "f", arch=-1), ValueError, "arch must be"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).cost((0, 0), side="up"), ValueError, "side must be 'left' or 'right'"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).cost((0, 0), size=0), ValueError, "size must be a number > 0"),
        (lambda ax: Diagram(ax, (0, 1), (0, 1)).arrow((0, 0), None), TypeError, "b must be a pair"),
    ],
)
def test_bad_arguments_raise_an_error_that_names_the_argument(call, exc, match):
    fig, ax = plt.subplots()
    with pytest.raises(exc, match=match):
        call(ax)
    plt.close(fig)


@pytest.mark.parametrize(
    "draw, circles, boxes, arched, costs",
    [
        (lambda ax: diagram.latent_ebm(ax), 3, 2, 0, 1),
        (lambda ax: diagram.latent_ebm(ax, conditional=False), 2, 1, 0, 1),
        (lambda ax: diagram.kmeans_ebm(ax, labels={"min": "$z$에 대해 최소화"}), 2, 0, 1, 1),
        (lambda ax: diagram.dae(ax, training=True), 2, 3, 0, 1),
        (lambda ax: diagram.dae(ax, training=False, labels={"enc": "인코더"}), 1, 2, 0, 1),
    ],
)
def test_the_three_chapter_diagrams_draw_with_the_helper(draw, circles, boxes, arched, costs):
    fig, ax = plt.subplots()
    assert draw(ax) is ax
    kinds = [type(p) for p in ax.patches]
    assert (kinds.count(Circle), kinds.count(FancyBboxPatch), kinds.count(Polygon)) == (circles, boxes, arched)
    red_squares = [p for p in ax.patches if type(p) is Rectangle and p.get_facecolor() == to_rgba(RED)]
    assert len(red_squares) == costs
    plt.close(fig)


@pytest.mark.parametrize("draw", [diagram.latent_ebm, diagram.kmeans_ebm, diagram.dae])
def test_the_chapter_diagrams_reject_a_bad_ax_and_bad_labels(draw):
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        draw("ax")
    fig, ax = plt.subplots()
    with pytest.raises(TypeError, match="labels must be a dict"):
        draw(ax, labels=["Enc"])
    with pytest.raises(ValueError, match="labels may only rename"):
        draw(ax, labels={"encoder": "Enc"})
    plt.close(fig)


@pytest.mark.parametrize(
    "draw, korean, english",
    [
        (diagram.kmeans_ebm, "$z$에 대해 최소화", "min over $z$"),
        (lambda ax: diagram.dae(ax, training=True), "인코더", "Enc"),
    ],
)
def test_the_diagrams_words_follow_the_notebooks_language(draw, korean, english):
    previous = i18n.get_language()
    try:
        for lang, word, other in (("ko", korean, english), ("en", english, korean)):
            i18n.set_language(lang)
            fig, ax = plt.subplots()
            draw(ax)
            texts = [t.get_text() for t in ax.texts]
            assert word in texts and other not in texts
            plt.close(fig)
    finally:
        i18n.set_language(previous)


@pytest.mark.parametrize("training", [True, False])
def test_the_dae_diagram_renames_its_boxes(training):
    fig, ax = plt.subplots()
    diagram.dae(ax, training=training, labels={"enc": "E", "dec": "D"})
    kinds = [type(p) for p in ax.patches]
    assert kinds.count(Circle) == (2 if training else 1)
    assert kinds.count(FancyBboxPatch) == (3 if training else 2)
    texts = [t.get_text() for t in ax.texts]
    assert "E" in texts and "D" in texts
    plt.close(fig)


def test_the_latent_diagram_renames_its_decoder():
    fig, ax = plt.subplots()
    diagram.latent_ebm(ax, labels={"dec": "g(z)"})
    assert any(t.get_text() == "g(z)" for t in ax.texts)
    plt.close(fig)
