"""Explorers: one slider over a parameter (beta, k, sigma, ...) redrawing one figure.

An ``Explorer`` displays as a single output whose MIME bundle carries both
  * ``application/vnd.jupyter.widget-view+json``: a live ipywidgets slider with the figure
    (what Jupyter, JupyterLab and Colab render), and
  * ``text/html``: the same figure pre-rendered at ``frame_values()`` as base64 PNGs, in that
    order, with a range input and a few lines of script that swap them (written here, with no
    library and nothing loaded from another host), which the book renders instead
    (``nb_mime_priority_overrides`` in ``_config.yml`` drops the widget view there), so the page
    never shows a slider with no kernel behind it.

The book's frames are drawn when the explorer is displayed; the live slider redraws later, after
the reader has run every cell. So the update function must read nothing that a later cell can
rebind: build the figure, its artists, the data and the update function inside one function,
which returns the Explorer, and display what it returns::

    def beta_explorer(y, F, h):
        fig, ax = plt.subplots()
        (line,) = ax.plot(y, ec.gibbs(F, 1.0) / h)

        def show(beta):  # reads only this function's locals
            line.set_ydata(ec.gibbs(F, beta) / h)
            ax.set_title(f"β = {beta:.3g}")

        return ec.Explorer(fig, show, np.logspace(-1, 1, 21), label="β", value=1.0)


    beta_explorer(y, F_grid, h)
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
import uuid
import weakref

import numpy as np

from . import i18n

__all__ = ["Explorer"]


class Explorer:
    """Scrub ``update(value)`` over ``values`` (build it inside a function: see the module's docstring).

    fig     a matplotlib figure whose artists ``update`` changes in place
    update  callable(value) -> None, redraws what depends on the value
    values  the slider's values (sorted, finite); the slider cannot leave them
    label   the slider's caption, e.g. "β"
    value   starting value (default: the middle one)
    frames  how many of the values the book's static version pre-renders
    """

    # Every explorer shown so far in this kernel, so that a test can redraw each one after the
    # notebook has run to the end and compare it with the frames it showed.
    _displayed: weakref.WeakSet[Explorer] = weakref.WeakSet()

    def __init__(self, fig, update, values, label, value=None, frames=16, fmt="{:.3g}"):
        from matplotlib.figure import Figure

        if not isinstance(fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure (got {type(fig).__name__})")
        if not callable(update):
            raise TypeError(f"update must be callable (got {type(update).__name__})")
        vals = np.asarray(values, dtype=float).ravel()
        if vals.size == 0:
            raise ValueError("values must not be empty")
        if not np.isfinite(vals).all():
            raise ValueError("values must be finite")
        self.values = np.unique(vals)
        if not isinstance(label, str) or not label:
            raise ValueError("label must be a non-empty string")
        if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
            raise ValueError(f"frames must be an integer >= 1 (got {frames!r})")
        self.fig, self.update, self.label, self.fmt = fig, update, label, fmt
        self.frames = min(frames, self.values.size)
        mid = self.values[self.values.size // 2]
        self.value = self.clamp(mid if value is None else value)
        self.update(self.value)
        import matplotlib.pyplot as plt

        plt.close(fig)  # shown by the explorer only, never a second time by the inline backend
        if not hasattr(fig.canvas, "buffer_rgba"):  # closing can leave a canvas without pixels: give it Agg's
            from matplotlib.backends.backend_agg import FigureCanvasAgg

            FigureCanvasAgg(fig)
        self._widget = None

    def clamp(self, value) -> float:
        """The allowed value nearest to ``value`` (so a slider can never leave the range)."""
        if isinstance(value, (str, bytes, bool)):  # "0.5" would convert: numbers given as strings are refused
            raise TypeError(f"value must be a number (got {value!r})")
        try:
            v = float(value)
        except (TypeError, ValueError) as err:
            raise TypeError(f"value must be a number (got {value!r})") from err
        if math.isnan(v):
            raise ValueError("value must be a number (got nan)")
        # Into [first, last] before the nearest search: far outside (1e20, inf) every distance rounds alike.
        v = min(max(v, self.values[0]), self.values[-1])
        return float(self.values[np.abs(self.values - v).argmin()])

    def step(self, value, compress_level: int = 1) -> bytes:
        """Recompute and redraw for ``value``; return the figure as PNG bytes.

        The figure is drawn once and its pixels encoded with light compression: about half the
        time of ``savefig``, which draws a second time and compresses hard.
        """
        self.value = self.clamp(value)
        self.update(self.value)
        from PIL import Image

        self.fig.canvas.draw()  # an Agg canvas (see __init__), so its pixels can be read back
        rgb = np.asarray(self.fig.canvas.buffer_rgba())[..., :3]
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="png", compress_level=compress_level)
        return buf.getvalue()

    def frame_values(self) -> np.ndarray:
        """The values the book pre-renders: ``frames`` of them, evenly spaced from the first value to
        the last, with the starting value among them (when there are at least three frames)."""
        idx = np.linspace(0, self.values.size - 1, self.frames).round().astype(int)
        start = int(np.abs(self.values - self.value).argmin())
        if start not in idx and idx.size >= 3:
            interior = np.arange(1, idx.size - 1)
            idx[interior[np.abs(idx[interior] - start).argmin()]] = start
        return self.values[np.unique(idx)]

    def static_html(self) -> str:
        """Pre-rendered frames with a range input that swaps them: works in a page with no kernel
        and loads nothing from another host."""
        vals = self.frame_values()
        current = self.value
        frames = [base64.b64encode(self.step(v, compress_level=6)).decode("ascii") for v in vals]
        labels = [f"{self.label} = {self.fmt.format(v)}" for v in vals]
        start = int(np.abs(vals - current).argmin())
        self.step(current)
        uid = "ebm-explorer-" + uuid.uuid4().hex[:12]
        note = i18n.t(
            ko=f"막대를 끌어 {self.label} 값을 바꿔 보자. 노트북(Jupyter, Colab)에서는 실시간 슬라이더가 된다.",
            en=f"Drag the bar to change {self.label}. In a notebook (Jupyter, Colab) this is a live slider.",
        )
        alt = i18n.t(ko=f"{self.label}에 따라 달라지는 그림", en=f"figure as {self.label} changes")
        return (
            f'<div class="ebm-explorer" id="{uid}">'
            f'<p class="ebm-explorer-note">{html.escape(note)}</p>'
            f'<label class="ebm-explorer-control">'
            f'<input type="range" min="0" max="{len(frames) - 1}" step="1" value="{start}" '
            f'aria-label="{html.escape(self.label)}" style="width:min(420px,90%)"> '
            f"<output>{html.escape(labels[start])}</output></label><br>"
            f'<img class="ebm-explorer-frame" alt="{html.escape(alt)}" style="max-width:100%" '
            f'src="data:image/png;base64,{frames[start]}">'
            f"<script>(function(){{var root=document.getElementById({json.dumps(uid)});"
            f"var frames={json.dumps(frames)};var labels={json.dumps(labels)};"
            f"var r=root.querySelector('input'),img=root.querySelector('img'),out=root.querySelector('output');"
            f"r.addEventListener('input',function(){{var i=+r.value;"
            f"img.src='data:image/png;base64,'+frames[i];out.textContent=labels[i];}});}})();</script>"
            f"</div>"
        )

    def widget(self):
        """The live version: a slider over the values and the figure as an image."""
        if self._widget is None:
            import ipywidgets as w

            options = [(self.fmt.format(v), float(v)) for v in self.values]
            slider = w.SelectionSlider(
                options=options,
                value=self.value,
                description=self.label,
                continuous_update=True,
                layout=w.Layout(width="420px"),
            )
            image = w.Image(value=self.step(self.value), format="png")

            def on_change(change):
                image.value = self.step(change["new"])

            slider.observe(on_change, names="value")
            self._widget = w.VBox([slider, image])
        return self._widget

    @classmethod
    def displayed(cls) -> list[Explorer]:
        """The explorers displayed in this kernel so far (those still alive)."""
        return list(cls._displayed)

    def _repr_mimebundle_(self, include=None, exclude=None):
        Explorer._displayed.add(self)
        # The widget view is written out (protocol 2.0, as ipywidgets 7 and 8 both display it), so
        # the bundle is the same whichever ipywidgets a notebook server ships.
        return {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": self.widget().model_id,
            },
            "text/html": self.static_html(),
            "text/plain": f"Explorer({self.label}: {self.fmt.format(self.value)})",
        }
