"""The course's block-diagram language, drawn on a matplotlib Axes.

The lecture draws its models with four marks, and the book keeps them:

- a circle for a variable: grey when it is observed (x, y), red when it is latent (z);
- a round-topped box for a deterministic function (Pred, Dec, W z, an encoder);
- a red square for the cost, the block whose output is the energy;
- an arrow for what flows from one block into the next.

    d = Diagram(ax, xlim=(0, 4), ylim=(0, 6))
    d.variable((2, 1), "z", latent=True)
    d.arrow((2, 1.45), (2, 2.6))
    d.function((2, 3), "Dec(z)")
    d.arrow((2, 3.4), (2, 4.55))
    d.cost((2, 5), "C(y, ȳ)")

Positions are in the Axes' data units, drawn with an equal aspect and no frame; text that is not part
of a block (the name of an arrow, a caption) goes on ``d.ax`` directly.

The chapters' diagrams are here too, one function each: ``latent_ebm`` (Fig. 3), ``kmeans_ebm``
(Fig. 4) and ``dae`` (Fig. 8 and 9). Their words come in the notebook's language (``ec.i18n``), and
``labels`` may rename them.
"""

from numbers import Real

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle

from . import i18n
from .plot import COLORS

__all__ = ["Diagram", "GREY", "RED", "latent_ebm", "kmeans_ebm", "dae"]

GREY = "#d9d9d9"  # fill of an observed variable
RED = "#f4b6a6"  # fill of a latent variable and of the cost


def _pair(name, value):
    if not (isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, Real) for v in value)):
        raise TypeError(f"{name} must be a pair of numbers (got {value!r})")
    return value


def _positive(name, value):
    if not isinstance(value, Real) or not value > 0:
        raise ValueError(f"{name} must be a number > 0 (got {value!r})")


class Diagram:
    """Draws blocks on ``ax`` after setting its limits to ``xlim`` and ``ylim`` (pairs low < high)."""

    def __init__(self, ax, xlim, ylim):
        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes (got {type(ax).__name__})")
        for name, lim in (("xlim", xlim), ("ylim", ylim)):
            if not _pair(name, lim)[0] < lim[1]:
                raise ValueError(f"{name} must be a pair (low, high) with low < high (got {lim!r})")
        ax.set_xlim(*xlim)
        ax.set_ylim(*ylim)
        ax.set_aspect("equal")
        ax.axis("off")
        self.ax = ax

    def variable(self, xy, name, latent=False, edge=None, r=0.45, lw=1.5, fontsize=13):
        """A circle of radius ``r`` centred on ``xy``: grey if observed, red if ``latent``.

        Its edge is dark grey for an observed variable and vermilion for a latent one unless ``edge``
        gives a colour."""
        x, y = _pair("xy", xy)
        _positive("r", r)
        _positive("lw", lw)
        if edge is None:
            edge = COLORS["z"] if latent else "#555555"
        self.ax.add_patch(Circle(xy, r, facecolor=RED if latent else GREY, edgecolor=edge, lw=lw))
        self.ax.text(x, y, name, ha="center", va="center", fontsize=fontsize)

    def function(self, xy, name, w=2.1, h=0.8, arch=0.0, lw=None, fontsize=11, label_dy=0.0):
        """A deterministic function: a ``w`` x ``h`` box centred on ``xy``.

        With ``arch=0`` every corner is rounded; with ``arch > 0`` the bottom is flat and a half-ellipse
        ``arch`` high sits on top. ``lw=None`` keeps the style's line width; ``label_dy`` moves the name
        up from the centre."""
        x, y = _pair("xy", xy)
        _positive("w", w)
        _positive("h", h)
        if not isinstance(arch, Real) or arch < 0:
            raise ValueError(f"arch must be a number >= 0 (got {arch!r})")
        if arch:
            t = np.linspace(0.0, np.pi, 40)
            top = np.stack([x + (w / 2) * np.cos(t), y + h / 2 + arch * np.sin(t)], axis=1)
            outline = np.vstack([[x + w / 2, y - h / 2], top, [x - w / 2, y - h / 2]])
            box = Polygon(outline, closed=True, facecolor="white", edgecolor="k", lw=lw)
        else:
            style = "round,pad=0.02,rounding_size=0.35"
            box = FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle=style, fc="white", ec="k", lw=lw)
        self.ax.add_patch(box)
        self.ax.text(x, y + label_dy, name, ha="center", va="center", fontsize=fontsize)

    def cost(self, xy, label=None, side="left", size=0.9, fontsize=11):
        """The cost: a red square of side ``size`` centred on ``xy``, its ``label`` on ``side``."""
        x, y = _pair("xy", xy)
        _positive("size", size)
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right' (got {side!r})")
        self.ax.add_patch(
            Rectangle((x - size / 2, y - size / 2), size, size, facecolor=RED, edgecolor=COLORS["z"], lw=1.5)
        )
        if label is not None:
            gap = size / 2 + 0.15
            tx, ha = (x - gap, "right") if side == "left" else (x + gap, "left")
            self.ax.text(tx, y, label, ha=ha, va="center", fontsize=fontsize)

    def arrow(self, a, b):
        """An arrow from point ``a`` to point ``b``."""
        _pair("a", a)
        _pair("b", b)
        self.ax.add_patch(FancyArrowPatch(a, b, arrowstyle="-|>", mutation_scale=12, lw=1.2, color="#333333"))


def _labels(labels, defaults: dict) -> dict:
    """The default words of a diagram, with those ``labels`` (a dict) renames."""
    if labels is None:
        return defaults
    if not isinstance(labels, dict):
        raise TypeError(f"labels must be a dict or None (got {type(labels).__name__})")
    unknown = sorted(set(labels) - set(defaults))
    if unknown:
        raise ValueError(f"labels may only rename {sorted(defaults)} (got unknown keys {unknown})")
    return {**defaults, **labels}


def latent_ebm(ax, labels=None, conditional=True):
    """The latent-variable EBM (the lecture's Fig. 3) on ``ax``.

    x -> Pred(x) -> h; z, h -> Dec(z, h) -> y_bar; C(y, y_bar) <- y. Without ``conditional`` there is
    no x and no predictor. ``labels`` may rename the boxes: {"pred": ..., "dec": ..., "cost": ...}.
    """
    text = _labels(labels, {"pred": "Pred(x)", "dec": "Dec(z, h)", "cost": "C(y, ȳ)"})
    d = Diagram(ax, xlim=(-0.3, 10), ylim=(0, 6.2))
    if conditional:
        d.variable((1.0, 1.0), "x")
        d.function((1.0, 3.0), text["pred"])
        d.arrow((1.0, 1.45), (1.0, 2.6))
        d.arrow((2.05, 3.0), (3.95, 3.0))
        ax.text(3.0, 3.15, "h", ha="center", va="bottom", fontsize=12)
    d.variable((5.0, 1.0), "z", latent=True)
    d.function((5.0, 3.0), text["dec"])
    d.arrow((5.0, 1.45), (5.0, 2.6))
    d.arrow((5.0, 3.4), (5.0, 4.75))
    ax.text(5.2, 4.05, "ȳ", ha="left", va="center", fontsize=13)
    d.cost((5.0, 5.2), text["cost"])
    d.variable((8.0, 5.2), "y")
    d.arrow((7.55, 5.2), (5.45, 5.2))
    return ax


def kmeans_ebm(ax, labels=None):
    """K-means as an EBM (the lecture's Fig. 4) on ``ax``.

    z (latent, red circle) -> W z (a deterministic function, round-topped box) -> y_bar; the cost
    ||y - y_bar||^2 (red square) compares it with y (observed, grey circle); the dashed frame is the
    minimisation over z that turns E(y, z) into F(y). ``labels`` may rename {"min": ..., "F": ...}.
    """
    text = _labels(labels, {"min": i18n.t(ko="$z$에 대해 최소화", en="min over $z$"), "F": r"$F(y) = \min_z E(y, z)$"})
    d = Diagram(ax, xlim=(0, 10), ylim=(0, 6.6))
    d.function((3.0, 2.9), "$W z$", w=1.8, h=1.0, arch=0.45, lw=1.3, fontsize=14, label_dy=0.2)
    d.variable((3.0, 0.9), "$z$", latent=True, fontsize=14)
    d.arrow((3.0, 1.35), (3.0, 2.4))
    d.arrow((3.0, 3.85), (3.0, 4.8))
    ax.text(3.2, 4.3, r"$\bar y$", ha="left", va="center", fontsize=14)
    d.cost((3.0, 5.25), r"$\Vert y - \bar y \Vert^2$", fontsize=13)
    d.variable((6.2, 5.25), "$y$", fontsize=14)
    d.arrow((5.75, 5.25), (3.45, 5.25))
    ax.add_patch(Rectangle((0.3, 0.2), 4.6, 6.2, fill=False, edgecolor=COLORS["energy"], lw=1.2, ls="--"))
    ax.text(0.45, 6.25, text["min"], ha="left", va="top", fontsize=11, color=COLORS["energy"])
    d.arrow((4.9, 3.2), (6.2, 3.2))
    ax.text(6.3, 3.2, text["F"], ha="left", va="center", fontsize=13)
    return ax


def dae(ax, training=True, labels=None):
    """The denoising autoencoder on ``ax``.

    training=True  (Fig. 8): y -> corrupt -> y_tilde -> enc -> dec -> y_bar; cost C(y, y_bar) against the clean y.
    training=False (Fig. 9): y -> enc -> dec -> y_hat; energy E(y) = ||y - y_hat||^2.
    The corrupted y_tilde is edged in its colour. ``labels`` may rename the boxes:
    {"corrupt": ..., "enc": ..., "dec": ..., "cost": ...}.
    """
    text = _labels(
        labels,
        {
            "corrupt": i18n.t(ko="손상", en="corrupt"),
            "enc": i18n.t(ko="인코더", en="Enc"),
            "dec": i18n.t(ko="디코더", en="Dec"),
            "cost": r"$C(y, \bar{y})$" if training else r"$E(y) = \|y - \hat{y}\|^2$",
        },
    )
    d = Diagram(ax, xlim=(0, 13.2), ylim=(0.2, 4.4))

    def arrow(a, b, label=None):  # along the row y = 1.3
        d.arrow((a, 1.3), (b, 1.3))
        if label:
            ax.text((a + b) / 2, 1.42, label, ha="center", va="bottom", fontsize=13)

    d.variable((0.8, 1.3), "y", lw=1.8)
    if training:
        d.function((2.9, 1.3), text["corrupt"], w=1.7)
        arrow(1.25, 2.05)
        d.variable((5.0, 1.3), "ỹ", edge=COLORS["y_tilde"], lw=1.8)
        arrow(3.75, 4.55)
        x_enc, out = 7.0, "ȳ"
        arrow(5.45, x_enc - 0.85)
    else:
        x_enc, out = 3.4, "ŷ"
        arrow(1.25, x_enc - 0.85)
    x_dec = x_enc + 2.3
    d.function((x_enc, 1.3), text["enc"], w=1.7)
    d.function((x_dec, 1.3), text["dec"], w=1.7)
    arrow(x_enc + 0.85, x_dec - 0.85)
    x_cost = x_dec + 2.3
    arrow(x_dec + 0.85, x_cost - 0.45, out)
    d.cost((x_cost, 1.3), text["cost"], side="right")
    # the clean y also goes to the cost
    ax.plot([0.8, 0.8, x_cost, x_cost], [1.75, 3.3, 3.3, 2.6], color="#333", lw=1.2)
    d.arrow((x_cost, 2.6), (x_cost, 1.75))
    return ax
