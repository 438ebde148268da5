"""What every notebook's set-up cell does: language, plotting style, seed, device."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch

from . import _check, i18n, plot

__all__ = ["setup", "seed_everything", "get_device", "in_colab", "progress_bar"]


def in_colab() -> bool:
    return "google.colab" in sys.modules


def seed_everything(seed: int) -> int:
    """Seed Python's, NumPy's and torch's generators (CPU and CUDA)."""
    seed = _check.seed(seed)
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    return int(seed)


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA when present, else CPU; ``prefer="cpu"`` forces the CPU."""
    if prefer not in (None, "cpu", "cuda"):
        raise ValueError(f"prefer must be None, 'cpu' or 'cuda' (got {prefer!r})")
    if prefer == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if prefer == "cuda":
        raise ValueError("prefer='cuda' but no CUDA device is available")
    return torch.device("cpu")


def progress_bar(iterable, desc: str = "", enabled: bool = True):
    """tqdm's notebook bar in Jupyter, a text bar elsewhere; the iterable itself when disabled
    (or when EBM_COURSE_NO_PROGRESS is set, as in the book build)."""
    if not enabled or os.environ.get("EBM_COURSE_NO_PROGRESS"):
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, leave=False)


def setup(lang: str = "en", seed: int = 0, device: str | None = None) -> torch.device:
    """Set the language of labels, the book's plotting style (Korean font included), seed every
    generator, enable Colab's widget manager when in Colab, and return the device to use."""
    if lang not in i18n.LANGUAGES:
        raise ValueError(f"lang must be one of {i18n.LANGUAGES} (got {lang!r})")
    seed_everything(seed)  # checks seed before anything else changes
    i18n.set_language(lang)
    plot.use_style()
    if in_colab():  # pragma: no cover - only in Colab
        from google.colab import output

        output.enable_custom_widget_manager()
    return get_device(device)
