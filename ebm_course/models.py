"""Small energy functions E_W(y) used across the chapters."""

from __future__ import annotations

import torch

from . import _check

__all__ = ["RBFEnergy"]


class RBFEnergy(torch.nn.Module):
    """E_W(y) = sum_j W_j exp(-||y - c_j||^2 / (2 width^2)).

    A weighted sum of Gaussian bumps at fixed centres c_j (rows of ``centers``, shape (k, d)).
    The energy is linear in W, so the Gibbs density is an exponential family and its
    negative log-likelihood is convex in W: gradient descent finds the maximum-likelihood W.
    W starts at ``W0`` (default zeros: a flat energy, i.e. the uniform distribution).
    ``confine`` > 0 adds a fixed confine * ||y||^2 / 2, so that exp(-E) is integrable over the whole
    space and samplers that leave a bounded grid come back (chapter 7); the default 0 adds nothing.
    """

    def __init__(self, centers, width, W0=None, confine=0.0):
        super().__init__()
        centers = _check.finite_tensor(centers, "centers", ndim=2)
        width = _check.positive_number(width, "width")
        self.register_buffer("centers", centers.clone())
        self.width = width
        if W0 is None:
            W0 = torch.zeros(centers.shape[0], dtype=centers.dtype, device=centers.device)
        W0 = _check.finite_tensor(W0, "W0", ndim=1)
        if W0.shape[0] != centers.shape[0]:
            raise ValueError(f"W0 must have one entry per centre, {centers.shape[0]} (got {W0.shape[0]})")
        self.W = torch.nn.Parameter(W0.to(centers).clone())
        if isinstance(confine, bool) or not isinstance(confine, (int, float)) or not 0 <= confine < float("inf"):
            raise ValueError(f"confine must be a number >= 0 and finite (got {confine!r})")
        self.confine = float(confine)

    def features(self, y: torch.Tensor) -> torch.Tensor:
        """phi_j(y) = exp(-||y - c_j||^2 / (2 width^2)), shape (n, k)."""
        if not isinstance(y, torch.Tensor) or y.ndim != 2 or y.shape[1] != self.centers.shape[1]:
            shape = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
            raise ValueError(f"y must be a tensor of shape (n, {self.centers.shape[1]}) (got {shape})")
        sq = torch.cdist(y.to(self.centers), self.centers).square()
        return torch.exp(-sq / (2 * self.width**2))

    def forward(self, y: torch.Tensor) -> torch.Tensor:
        E = self.features(y) @ self.W
        if self.confine:
            E = E + 0.5 * self.confine * y.to(E).square().sum(dim=1)
        return E
