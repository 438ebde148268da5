"""Argument checks shared by the public functions.

Every message names the argument and says what is allowed, e.g.
``beta must be > 0 and finite (got -1.0)``.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
import torch


def as_tensor(x, name: str, *, dtype=None) -> torch.Tensor:
    """Accept a torch tensor or a numpy array / nested list of numbers."""
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, (np.ndarray, list, tuple)):
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must be a tensor of numbers (got {type(x).__name__})") from err
        if arr.dtype.kind not in "iuf":  # strings ("0.1"), objects and bools are not numbers here
            raise TypeError(f"{name} must be a tensor of numbers (got {type(x).__name__} of dtype {arr.dtype})")
        t = torch.as_tensor(arr.astype(np.float64))
    else:
        raise TypeError(f"{name} must be a torch.Tensor or numpy array (got {type(x).__name__})")
    if dtype is not None:
        t = t.to(dtype)
    if not (t.is_floating_point() or t.is_complex()):
        t = t.to(torch.get_default_dtype())
    return t


def finite_tensor(x, name: str, *, ndim: int | None = None, nonempty: bool = True) -> torch.Tensor:
    t = as_tensor(x, name)
    if ndim is not None and t.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s) (got shape {tuple(t.shape)})")
    if nonempty and t.numel() == 0:
        raise ValueError(f"{name} must not be empty (got shape {tuple(t.shape)})")
    if torch.isnan(t).any():
        raise ValueError(f"{name} contains NaN")
    if torch.isinf(t).any():
        raise ValueError(f"{name} contains inf; energies and data must be finite")
    return t


def capped_beta(beta: float, E: torch.Tensor) -> float:
    """beta, capped at the largest number E's dtype holds (beta 1e39 is inf in float32, and inf * 0 is nan).
    Any beta that large already puts all the mass on the minimum, so the cap changes no result."""
    if E.is_floating_point():
        return min(beta, float(torch.finfo(E.dtype).max))
    return beta


def positive_number(x, name: str, *, allow_inf: bool = False) -> float:
    if isinstance(x, torch.Tensor):
        if x.numel() != 1:
            raise TypeError(f"{name} must be a single number (got a tensor of shape {tuple(x.shape)})")
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name} must be a real number (got {type(x).__name__})")
    x = float(x)
    if math.isnan(x) or x <= 0 or (math.isinf(x) and not allow_inf):
        allowed = "> 0 (math.inf allowed)" if allow_inf else "> 0 and finite"
        raise ValueError(f"{name} must be {allowed} (got {x})")
    return x


def real_number(x, name: str, *, minimum: float | None = None, below: float | None = None) -> float:
    """A finite real number (a float, an int or a one-element tensor; never a string or a bool), with
    ``minimum <= x`` and ``x < below`` where given: ``sigma`` (minimum=0), ``p`` (minimum=0, below=1)."""
    if isinstance(x, torch.Tensor):
        if x.numel() != 1:
            raise TypeError(f"{name} must be a single number (got a tensor of shape {tuple(x.shape)})")
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name} must be a real number (got {type(x).__name__})")
    x = float(x)
    low_ok = minimum is None or x >= minimum
    high_ok = below is None or x < below
    if not math.isfinite(x) or not (low_ok and high_ok):
        if minimum is not None and below is not None:
            allowed = f"in [{minimum:g}, {below:g})"
        elif minimum is not None:
            allowed = f">= {minimum:g} and finite"
        elif below is not None:
            allowed = f"< {below:g} and finite"
        else:
            allowed = "finite"
        raise ValueError(f"{name} must be {allowed} (got {x})")
    return x


def points(y, name: str = "y", *, d: int | None = None) -> torch.Tensor:
    """Points as the rows of a finite, real, 2-D tensor (n, d) with n >= 1 and d >= 1 (``d`` if given)."""
    y = finite_tensor(y, name, ndim=2)
    if not y.is_floating_point():
        raise TypeError(f"{name} must hold real numbers (got dtype {y.dtype})")
    if y.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column (got shape {tuple(y.shape)})")
    if d is not None and y.shape[1] != d:
        raise ValueError(f"{name} must have shape (n, {d}) (got {tuple(y.shape)})")
    return y


def index_tensor(x, name: str, *, ndim: int | None = None, high: int | None = None) -> torch.Tensor:
    """An integer tensor that stays integer (indices, labels, tokens): int8 to int64 or uint8, not bool,
    not floating point; values in [0, high) when ``high`` is given. Returned as int64 (a LongTensor)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be an integer torch.Tensor (got {type(x).__name__})")
    if x.dtype == torch.bool or x.is_floating_point() or x.is_complex():
        raise TypeError(f"{name} must hold integers, e.g. a LongTensor (got dtype {x.dtype})")
    if ndim is not None and x.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s) (got shape {tuple(x.shape)})")
    if high is not None and x.numel() and (x.min() < 0 or x.max() >= high):
        raise ValueError(f"{name} must hold values in [0, {high - 1}] (got {x.min().item()} to {x.max().item()})")
    return x.long()


def positive_int(x, name: str, *, minimum: int = 1) -> int:
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)):
        raise TypeError(f"{name} must be an integer (got {type(x).__name__})")
    if x < minimum:
        raise ValueError(f"{name} must be >= {minimum} (got {x})")
    return int(x)


def seed(x, name: str = "seed") -> int:
    """A seed for torch.Generator.manual_seed: an integer in [0, 2**63)."""
    x = positive_int(x, name, minimum=0)
    if x >= 2**63:
        raise ValueError(f"{name} must be < 2**63 (got {x})")
    return x


def dim_index(dim, t: torch.Tensor, name: str = "dim") -> int:
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise TypeError(f"{name} must be an integer (got {type(dim).__name__})")
    if t.ndim == 0:
        raise ValueError("E must have at least one dimension to sum over (got a scalar)")
    if not -t.ndim <= dim < t.ndim:
        raise ValueError(f"{name} must be in [{-t.ndim}, {t.ndim - 1}] for E of shape {tuple(t.shape)} (got {dim})")
    return dim


def callable_fn(fn, name: str):
    if not callable(fn):
        raise TypeError(f"{name} must be callable (got {type(fn).__name__})")
    return fn


def energies_from(energy_fn, points: torch.Tensor, name: str, points_name: str) -> torch.Tensor:
    """Call energy_fn on (n, d) points and check it returns (n,) finite energies."""
    E = energy_fn(points)
    if not isinstance(E, torch.Tensor):
        raise TypeError(f"{name} must return a torch.Tensor (got {type(E).__name__})")
    if not E.is_floating_point():
        raise TypeError(f"{name} must return real floating-point energies (got dtype {E.dtype})")
    if E.shape != (points.shape[0],):
        raise ValueError(
            f"{name} must map {points_name} of shape (n, d) to energies of shape (n,); "
            f"got {tuple(E.shape)} for {points_name} of shape {tuple(points.shape)}"
        )
    if not torch.isfinite(E).all():
        raise ValueError(f"{name} returned non-finite energies on {points_name}")
    return E


def data_and_grid(y, grid, cell_volume, beta):
    """The data y (n, d), an integration grid (m, d) of cells of volume cell_volume, and beta > 0."""
    y = finite_tensor(y, "y", ndim=2)
    grid = finite_tensor(grid, "grid", ndim=2)
    if grid.shape[1] != y.shape[1]:
        raise ValueError(
            f"grid must have the same number of columns d as y (got y {tuple(y.shape)}, grid {tuple(grid.shape)})"
        )
    cell_volume = positive_number(cell_volume, "cell_volume")
    beta = positive_number(beta, "beta")
    return y, grid, cell_volume, beta


def int_tensor(
    x, name: str, *, ndim: int | None = None, low: int | None = None, high: int | None = None
) -> torch.Tensor:
    """An integer tensor (token ids, say), kept integer: a torch integer tensor, or a numpy array or nested
    list of integers. Floats are rejected (a token id is not a number to round); so are booleans.
    ``low <= x < high`` is checked when given."""
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, (np.ndarray, list, tuple)):
        arr = np.asarray(x)
        if arr.size == 0 and arr.dtype == np.float64:  # an empty list
            arr = arr.astype(np.int64)
        if arr.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integers (got {arr.dtype} values)")
        t = torch.as_tensor(arr.astype(np.int64))
    else:
        raise TypeError(f"{name} must be a torch.Tensor of integers (got {type(x).__name__})")
    if t.dtype == torch.bool or t.is_floating_point() or t.is_complex():
        raise TypeError(f"{name} must hold integers (got dtype {t.dtype})")
    if ndim is not None and t.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s) (got shape {tuple(t.shape)})")
    if t.numel() == 0 or (t.ndim > 0 and t.shape[-1] == 0):
        raise ValueError(f"{name} must not be empty (got shape {tuple(t.shape)})")
    if low is not None and t.min().item() < low:
        raise ValueError(f"{name} must be >= {low} (got {t.min().item()})")
    if high is not None and t.max().item() >= high:
        raise ValueError(f"{name} must be < {high} (got {t.max().item()})")
    return t


def bool_tensor(x, name: str) -> torch.Tensor:
    """A boolean mask: a torch or numpy array of booleans (0/1 integers are not silently taken for a mask)."""
    if isinstance(x, np.ndarray):
        x = torch.as_tensor(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a boolean torch.Tensor (got {type(x).__name__})")
    if x.dtype != torch.bool:
        raise TypeError(f"{name} must be a boolean tensor (got dtype {x.dtype})")
    return x


def ratio(x, name: str = "ratio") -> float:
    """A fraction strictly between 0 and 1."""
    if isinstance(x, torch.Tensor):
        if x.numel() != 1:
            raise TypeError(f"{name} must be a single number (got a tensor of shape {tuple(x.shape)})")
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, Real):
        raise TypeError(f"{name} must be a real number (got {type(x).__name__})")
    x = float(x)
    if not 0.0 < x < 1.0:
        raise ValueError(f"{name} must be in (0, 1) (got {x})")
    return x
