"""Data the chapters generate (nothing is downloaded) and integration grids."""

from __future__ import annotations

import math

import torch

from . import _check

__all__ = ["GaussianMixture", "grid_1d", "grid_2d"]


class GaussianMixture:
    """p(y) = sum_c pi_c N(y; mu_c, sigma_c^2 I) in d dimensions.

    ``means`` (C, d), ``stds`` (C,), ``weights`` (C,) summing to 1.
    """

    def __init__(self, means, stds, weights):
        self.means = _check.finite_tensor(means, "means", ndim=2).to(torch.float64)
        self.stds = _check.finite_tensor(stds, "stds", ndim=1).to(torch.float64)
        self.weights = _check.finite_tensor(weights, "weights", ndim=1).to(torch.float64)
        C = self.means.shape[0]
        if self.stds.shape[0] != C or self.weights.shape[0] != C:
            raise ValueError(f"stds and weights must have one entry per mean ({C} means)")
        if (self.stds <= 0).any():
            raise ValueError("stds must all be > 0")
        if (self.weights < 0).any() or abs(self.weights.sum().item() - 1) > 1e-6:
            raise ValueError(f"weights must be >= 0 and sum to 1 (sum {self.weights.sum().item()})")

    @property
    def d(self) -> int:
        return self.means.shape[1]

    def sample(self, n, seed=0) -> torch.Tensor:
        """n samples, shape (n, d), float64, reproducible from ``seed``."""
        n = _check.positive_int(n, "n")
        seed = _check.positive_int(seed, "seed", minimum=0)
        if seed >= 2**63:
            raise ValueError(f"seed must be < 2**63 (got {seed})")
        g = torch.Generator().manual_seed(seed)
        c = torch.multinomial(self.weights, n, replacement=True, generator=g)
        noise = torch.randn(n, self.d, generator=g, dtype=torch.float64)
        return self.means[c] + self.stds[c, None] * noise

    def log_prob(self, y) -> torch.Tensor:
        """log p(y) for y of shape (n, d)."""
        y = _check.finite_tensor(y, "y", ndim=2).to(torch.float64)
        if y.shape[1] != self.d:
            raise ValueError(f"y must have {self.d} columns (got shape {tuple(y.shape)})")
        sq = torch.cdist(y, self.means).square()
        log_norm = -0.5 * self.d * torch.log(2 * math.pi * self.stds**2)
        comp = torch.log(self.weights) + log_norm - sq / (2 * self.stds**2)
        return torch.logsumexp(comp, dim=1)


def grid_1d(lo, hi, m):
    """m cell centres covering [lo, hi], shape (m, 1), and the cell width."""
    try:
        lo, hi = float(lo), float(hi)
    except (TypeError, ValueError) as err:
        raise TypeError(f"lo and hi must be real numbers (got lo={lo!r}, hi={hi!r})") from err
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        raise ValueError(f"need finite lo < hi (got lo={lo}, hi={hi})")
    m = _check.positive_int(m, "m", minimum=2)
    h = (hi - lo) / m
    g = torch.linspace(lo + h / 2, hi - h / 2, m, dtype=torch.float64)
    return g[:, None], h


def grid_2d(lo, hi, m):
    """m x m cell centres covering [lo, hi]^2, shape (m*m, 2), and the cell area."""
    g, h = grid_1d(lo, hi, m)
    a, b = torch.meshgrid(g[:, 0], g[:, 0], indexing="xy")
    return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1), h * h
