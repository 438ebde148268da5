"""The book's plotting style: one colour per symbol, Korean glyphs, legible on light and dark pages.

Figures have an opaque white background, so the same PNG reads on the book's light and dark
themes alike. Colours come from the Okabe-Ito palette (distinguishable with colour-blindness).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import matplotlib as mpl

__all__ = ["COLORS", "use_style", "log_axis", "korean_font_files", "register_korean_font", "KOREAN_FONT"]

# One colour per symbol, the same in every chapter.
COLORS = {
    "y": "#0072B2",  # observed data y (blue)
    "z": "#D55E00",  # latent variable z (vermilion: the course draws latents in red)
    "y_bar": "#009E73",  # prediction / reconstruction y-bar, y-hat (green)
    "y_tilde": "#E69F00",  # corrupted input y-tilde, contrastive samples (orange)
    "prototype": "#CC79A7",  # prototypes, columns of W (purple)
    "energy": "#333333",  # energy curves (near black)
    "prob": "#56B4E9",  # probabilities (sky blue)
    "truth": "#777777",  # the true density / manifold (grey)
}
ENERGY_CMAP = "viridis"

KOREAN_FONT = "NanumGothic"
_SYSTEM_FONT_DIRS = ("/usr/share/fonts/truetype/nanum", "/usr/share/fonts/nanum")


def korean_font_files() -> list[Path]:
    """NanumGothic files shipped by koreanize-matplotlib (found without importing it, since its
    import needs distutils, which Python 3.12 lacks), else those of the system (fonts-nanum)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    dirs = []
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent / "fonts")
    dirs += [Path(d) for d in _SYSTEM_FONT_DIRS]
    for d in dirs:
        files = sorted(d.glob("NanumGothic*.ttf")) if d.is_dir() else []
        if files:
            return files
    return []


def register_korean_font() -> bool:
    """Make NanumGothic known to matplotlib; False when no file was found."""
    from matplotlib import font_manager

    files = korean_font_files()
    known = {f.fname for f in font_manager.fontManager.ttflist}
    for f in files:
        if str(f) not in known:
            font_manager.fontManager.addfont(str(f))
    return bool(files)


def use_style() -> None:
    """Apply the book's rcParams. NanumGothic first, DejaVu Sans as fallback for glyphs
    Nanum lacks (the minus sign, y-tilde); ``axes.unicode_minus`` off, as Nanum needs."""
    has_korean = register_korean_font()
    family = [KOREAN_FONT, "DejaVu Sans"] if has_korean else ["DejaVu Sans"]
    mpl.rcParams.update(
        {
            "font.family": family,
            "axes.unicode_minus": False,
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "axes.facecolor": "white",
            "text.color": "#222222",
            "axes.labelcolor": "#222222",
            "xtick.color": "#222222",
            "ytick.color": "#222222",
            "axes.edgecolor": "#444444",
            "axes.grid": True,
            "grid.color": "#dddddd",
            "grid.linewidth": 0.6,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": mpl.cycler(color=[COLORS[k] for k in ("y", "z", "y_bar", "y_tilde", "prototype")]),
            "figure.figsize": (7.0, 3.2),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "savefig.bbox": "tight",
            "legend.frameon": False,
            "animation.embed_limit": 40.0,
        }
    )


def _power_of_ten(value, _pos=None) -> str:
    """A tick label such as 10^-3 for a power of ten, or "" between the decades.

    A negative exponent is written with \\text{}, so mathtext keeps the hyphen (which NanumGothic
    has) instead of turning it into a minus sign (which it lacks)."""
    import math

    if value <= 0 or not math.isfinite(value):
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    e = int(round(exponent))
    return rf"$10^{{\text{{{e}}}}}$" if e < 0 else rf"$10^{{{e}}}$"


def log_axis(ax, axis: str = "y") -> None:
    """Put ``axis`` ("x", "y" or "both") of ``ax`` on a log scale, with ticks labelled 10^-3, 10^-2, ...

    Use it instead of ``ax.set_yscale("log")``: matplotlib's own log ticks ask mathtext for a minus
    sign in the default font, NanumGothic, which has none (a "missing glyph" warning on stderr, and
    a dummy symbol where the minus should be). These labels use the hyphen instead.
    """
    from matplotlib.axes import Axes
    from matplotlib.ticker import FuncFormatter, NullFormatter

    if not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes (got {type(ax).__name__})")
    if axis not in ("x", "y", "both"):
        raise ValueError(f'axis must be "x", "y" or "both" (got {axis!r})')
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"set_{name}scale")("log")
        target = ax.xaxis if name == "x" else ax.yaxis
        target.set_major_formatter(FuncFormatter(_power_of_ten))
        target.set_minor_formatter(NullFormatter())
