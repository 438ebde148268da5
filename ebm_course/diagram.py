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
"""

from numbers import Real

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle

from .plot import COLORS

__all__ = ["Diagram", "GREY", "RED"]

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
