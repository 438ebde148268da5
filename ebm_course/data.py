"""Data the chapters generate (nothing is downloaded) and integration grids."""

from __future__ import annotations

import math

import torch

from . import _check

__all__ = ["GaussianMixture", "Spiral", "sample_ellipse", "grid_1d", "grid_2d"]


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
        g = torch.Generator().manual_seed(_check.seed(seed))
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


class Spiral:
    """Points near a two-dimensional spiral, the data manifold of chapters 4 and 5.

    The clean curve is y(t) = r(t) [cos(theta(t)), sin(theta(t))] for t in [0, 1], with
    theta(t) = turns * 2 pi * t and r(t) = r0 + (r1 - r0) t; samples add N(0, noise^2 I).
    ``curve(m)`` gives m points along the clean curve, ``nearest(y)`` the closest of them.
    """

    def __init__(self, turns=1.5, r0=0.3, r1=2.0, noise=0.05):
        self.turns = _check.positive_number(turns, "turns")
        self.r0 = _check.positive_number(r0, "r0")
        self.r1 = _check.positive_number(r1, "r1")
        if self.r1 <= self.r0:
            raise ValueError(f"r1 must be > r0 (got r0={self.r0}, r1={self.r1})")
        self.noise = _check.real_number(noise, "noise", minimum=0.0)

    def _at(self, t: torch.Tensor) -> torch.Tensor:
        theta = 2 * math.pi * self.turns * t
        r = self.r0 + (self.r1 - self.r0) * t
        return torch.stack([r * torch.cos(theta), r * torch.sin(theta)], dim=1)

    def sample(self, n, seed=0) -> torch.Tensor:
        """n noisy points, shape (n, 2), float64; t is uniform along the curve's length."""
        n = _check.positive_int(n, "n")
        g = torch.Generator().manual_seed(_check.seed(seed))
        # draw t uniformly along the arc length: invert the cumulative length of a fine polyline
        fine = self.curve(4096)
        seg = (fine[1:] - fine[:-1]).norm(dim=1)
        cum = torch.cat([torch.zeros(1, dtype=torch.float64), seg.cumsum(0)])
        s = torch.rand(n, generator=g, dtype=torch.float64) * cum[-1]
        idx = torch.searchsorted(cum, s).clamp(1, cum.numel() - 1)
        frac = (s - cum[idx - 1]) / seg[idx - 1]
        t = (idx - 1 + frac) / (cum.numel() - 1)
        y = self._at(t)
        return y + self.noise * torch.randn(n, 2, generator=g, dtype=torch.float64)

    def curve(self, m=512) -> torch.Tensor:
        """m points along the clean curve, from its inner to its outer end, shape (m, 2)."""
        m = _check.positive_int(m, "m", minimum=2)
        return self._at(torch.linspace(0.0, 1.0, m, dtype=torch.float64))

    def nearest(self, y, m=4096) -> tuple[torch.Tensor, torch.Tensor]:
        """For each row of y (n, 2): the closest of m points on the clean curve, and its distance."""
        y = _check.finite_tensor(y, "y", ndim=2).to(torch.float64)
        if y.shape[1] != 2:
            raise ValueError(f"y must have 2 columns (got shape {tuple(y.shape)})")
        c = self.curve(m)
        d = torch.cdist(y, c)
        dist, idx = d.min(dim=1)
        return c[idx], dist


def sample_ellipse(n, rho=(2.0, 1.0), noise=0.1, x=None, seed=0):
    """n noisy points on an ellipse, the data of chapter 3: y = x * [rho1 cos theta, rho2 sin theta] + noise * N(0, I).

    theta is uniform on [0, 2 pi); x (n,), when given, scales each point's radii (the horn; default 1).
    Returns (y, theta): float64 tensors (n, 2) and (n,).
    """
    n = _check.positive_int(n, "n")
    rho = _check.finite_tensor(rho, "rho", ndim=1).to(torch.float64)
    if rho.shape[0] != 2:
        raise ValueError(f"rho must hold the two radii (rho1, rho2) (got shape {tuple(rho.shape)})")
    noise = _check.real_number(noise, "noise", minimum=0.0)
    gen = torch.Generator().manual_seed(_check.seed(seed))
    theta = torch.rand(n, generator=gen, dtype=torch.float64) * 2 * math.pi
    y = torch.stack([rho[0] * torch.cos(theta), rho[1] * torch.sin(theta)], dim=-1)
    if x is not None:
        x = _check.finite_tensor(x, "x", ndim=1)
        if x.shape[0] != n:
            raise ValueError(f"x must hold one input per sample, shape ({n},) (got {tuple(x.shape)})")
        y = x[:, None].to(torch.float64) * y
    y = y + noise * torch.randn(n, 2, generator=gen, dtype=torch.float64)
    return y, theta


def grid_1d(lo, hi, m):
    """m cell centres covering [lo, hi], shape (m, 1), and the cell width."""
    lo = _check.real_number(lo, "lo")
    hi = _check.real_number(hi, "hi")
    if hi <= lo:
        raise ValueError(f"need lo < hi (got lo={lo}, hi={hi})")
    m = _check.positive_int(m, "m", minimum=2)
    h = (hi - lo) / m
    g = torch.linspace(lo + h / 2, hi - h / 2, m, dtype=torch.float64)
    return g[:, None], h


def grid_2d(lo, hi, m):
    """m x m cell centres covering [lo, hi]^2, shape (m*m, 2), and the cell area."""
    g, h = grid_1d(lo, hi, m)
    a, b = torch.meshgrid(g[:, 0], g[:, 0], indexing="xy")
    return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1), h * h
