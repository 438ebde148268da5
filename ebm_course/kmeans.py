"""K-means as an energy-based model: E(y, z) = ||y - W z||^2 with a one-hot z.

    E(y, z)     = ||y - W z||^2,  z one-hot in {e_1, ..., e_k},  prototypes w_j = columns of W (d, k)
    F_inf(y)    = min_z E(y, z) = min_j ||y - w_j||^2                          (inference: argmin_j)
    F_beta(y)   = -(1/beta) log( (1/k) sum_j exp(-beta ||y - w_j||^2) )        (soft-min, as ec.free_energy)

Training minimises the mean free energy (1/n) sum_i F_inf(y_i) over W:
  * coordinate descent (Lloyd): exact z-step z_i = e_argmin, then exact W-step w_j = mean of the y_i with z_i = e_j;
  * gradient: the same z-step, then W <- W - lr * dL/dW with L = (1/n) sum_i ||y_i - W z_i||^2.

``z_step`` and ``w_step`` are Lloyd's two steps, written to be read beside their equations.
``KMeansEBM.fit`` runs the same steps through a fast path (``ebm_course._kmeans_fast``); the tests
prove that it gives the same prototypes as alternating ``z_step`` and ``w_step``.
"""

from __future__ import annotations

import math

import torch

from . import _check, _kmeans_fast
from .energy import free_energy as _free_energy

__all__ = ["z_step", "w_step", "KMeansEBM", "kmeans_plusplus"]

_METHODS = ("coordinate", "gradient")


def _prototypes(y, W):
    y = _check.points(y)
    W = _check.points(W, "W")
    if W.shape[0] != y.shape[1]:
        raise ValueError(f"W must have d = {y.shape[1]} rows, as y has columns (got shape {tuple(W.shape)})")
    return y, W.to(y.dtype)


def z_step(y, W) -> torch.Tensor:
    """The z-step (inference): for each point, the column of W with least energy.

        z_i = argmin_j E(y_i, e_j) = argmin_j ||y_i - w_j||^2

    y (n, d), W (d, k) with the prototypes w_j as columns. Returns a LongTensor (n,).
    """
    y, W = _prototypes(y, W)
    E = (y[:, :, None] - W[None, :, :]).square().sum(dim=1)  # (n, k): E[i, j] = ||y_i - w_j||^2
    return E.argmin(dim=1)


def w_step(y, labels, W) -> torch.Tensor:
    """The W-step: for fixed assignments, each prototype moves to the mean of its points,

        w_j = (1 / n_j) sum_{i : z_i = j} y_i,     n_j = #{i : z_i = j},

    the exact minimiser of sum_i ||y_i - W z_i||^2 over W. A prototype with no point (n_j = 0)
    stays where it is. y (n, d), labels (n,) integers in [0, k), W (d, k). Returns the new W (d, k).
    """
    y, W = _prototypes(y, W)
    k = W.shape[1]
    labels = _check.index_tensor(labels, "labels", ndim=1, high=k)
    if labels.shape[0] != y.shape[0]:
        raise ValueError(f"labels must hold one index per row of y ({y.shape[0]}) (got {labels.shape[0]})")
    Z = torch.nn.functional.one_hot(labels, k).to(y.dtype)  # (n, k): row i is z_i
    n_j = Z.sum(dim=0)
    sums = y.T @ Z  # (d, k): column j is the sum of the points with z_i = e_j
    return torch.where(n_j > 0, sums / n_j.clamp_min(1), W)


def kmeans_plusplus(y, k, seed=0) -> torch.Tensor:
    """k-means++ starting prototypes (d, k): the first a random row of y, each next one a row drawn with
    probability proportional to its energy min_j ||y - w_j||^2 under the prototypes chosen so far."""
    y = _check.points(y)
    k = _check.positive_int(k, "k")
    n = y.shape[0]
    if k > n:
        raise ValueError(f"k must be <= the number of points n = {n} (got {k})")
    g = torch.Generator().manual_seed(_check.seed(seed))
    idx = torch.empty(k, dtype=torch.long)
    idx[0] = torch.randint(n, (1,), generator=g).item()
    d2 = (y - y[idx[0]]).square().sum(dim=1)
    for j in range(1, k):  # one pass per prototype: k-means++ is sequential by definition
        total = d2.sum()
        if not torch.isfinite(total):
            raise ValueError("y is too large: its squared distances overflow; rescale y")
        if total <= 0:  # every point already sits on a prototype: take the first unused row
            used = torch.zeros(n, dtype=torch.bool)
            used[idx[:j]] = True
            idx[j] = int((~used).nonzero()[0])
        else:
            idx[j] = torch.multinomial((d2 / total).cpu(), 1, generator=g).item()
        d2 = torch.minimum(d2, (y - y[idx[j]]).square().sum(dim=1))
    return y[idx.to(y.device)].T.contiguous()


class KMeansEBM:
    """E(y, z) = ||y - W z||^2 with z one-hot: the energy of y under prototype j is ||y - w_j||^2.

    ``W`` (d, k) holds the prototypes as columns; set it by ``fit`` or assign it directly.
    After ``fit``: ``history`` is the mean free energy (1/n) sum_i F_inf(y_i) before each z-step
    (history[0] at the starting W), ``n_iter`` the number of z-steps taken, ``converged`` whether
    the assignments (or, with ``tol``, the prototypes) stopped changing.
    """

    def __init__(self, k):
        self.k = _check.positive_int(k, "k")
        self._W = None
        self.history: list[float] = []
        self.n_iter = 0
        self.converged = False

    # ------------------------------------------------------------------ prototypes
    @property
    def W(self) -> torch.Tensor:
        if self._W is None:
            raise ValueError("W is not set: call fit(y) first or assign W, a (d, k) tensor of prototypes")
        return self._W

    @W.setter
    def W(self, value):
        W = _check.points(value, "W")
        if W.shape[1] != self.k:
            raise ValueError(f"W must have shape (d, k) = (d, {self.k}) (got {tuple(W.shape)})")
        self._W = W.clone()

    def _points(self, y) -> torch.Tensor:
        y = _check.points(y)
        W = self.W
        if y.shape[1] != W.shape[0]:
            raise ValueError(f"y must have d = {W.shape[0]} columns, as W has rows (got shape {tuple(y.shape)})")
        return y.to(W.dtype)

    # ------------------------------------------------------------------ energy and inference
    def energies(self, y) -> torch.Tensor:
        """E(y, e_j) = ||y - w_j||^2 for every row of y and every prototype: shape (n, k)."""
        y = self._points(y)
        W = self.W
        centre = W.mean(dim=1)  # distances do not change when y and W move together; centred, they round less
        y, W = y - centre, W - centre[:, None]
        E = y.square().sum(dim=1, keepdim=True) - 2.0 * y @ W + W.square().sum(dim=0)
        if not torch.isfinite(E).all():
            raise ValueError("y (or W) is too large: the squared distances overflow; rescale them")
        return E.clamp_min_(0.0)  # the expansion can round a zero distance to -1e-16

    def energy(self, y, z) -> torch.Tensor:
        """E(y, z) = ||y - W z||^2 for rows y (n, d) and one-hot rows z (n, k) (or indices (n,)): shape (n,)."""
        y = self._points(y)
        if isinstance(z, torch.Tensor) and z.ndim == 1 and not z.is_floating_point():
            z = _check.index_tensor(z, "z", ndim=1, high=self.k)
            if z.shape[0] != y.shape[0]:
                raise ValueError(f"z must have one index per row of y ({y.shape[0]}) (got shape {tuple(z.shape)})")
            Wz = self.W[:, z.to(self.W.device)].T
        else:
            z = _check.finite_tensor(z, "z", ndim=2).to(self.W.dtype)
            if z.shape != (y.shape[0], self.k):
                raise ValueError(f"z must have shape (n, k) = ({y.shape[0]}, {self.k}) (got {tuple(z.shape)})")
            if not (((z == 0) | (z == 1)).all() and (z.sum(dim=1) == 1).all()):
                raise ValueError("z must be one-hot: each row has a single 1 and zeros elsewhere")
            Wz = z @ self.W.T
        return (y - Wz).square().sum(dim=1)

    def infer(self, y) -> torch.Tensor:
        """z-step: argmin_j ||y - w_j||^2, the column of W with least energy, as indices (n,) (LongTensor)."""
        return self.energies(y).argmin(dim=1)

    def free_energy(self, y, beta=math.inf) -> torch.Tensor:
        """F_inf(y) = min_j ||y - w_j||^2; for finite beta > 0, -(1/beta) log((1/k) sum_j exp(-beta ||y - w_j||^2))."""
        beta = _check.positive_number(beta, "beta", allow_inf=True)
        return _free_energy(self.energies(y), beta=beta, dim=1)

    def reconstruct(self, y) -> torch.Tensor:
        """y_bar = W z_check with z_check = argmin_z E(y, z): the prototype closest to each row of y, (n, d)."""
        return self.W[:, self.infer(y)].T

    def complete(self, y_obs, observed):
        """Conditional inference: the coordinates ``observed`` of y are given, the others are unknown.

        min over z and the unknown part u of ||y - W z||^2 splits per prototype j: u = the unknown
        coordinates of w_j (cost 0) and energy ||y_obs - w_j[observed]||^2. Returns the k candidates
        (n, k, d - len(observed)) and their energies (n, k); the answers are the candidates of low energy.
        """
        W = self.W
        d = W.shape[0]
        if isinstance(observed, bool) or not isinstance(observed, (list, tuple)) or not observed:
            raise TypeError(f"observed must be a non-empty list of coordinate indices (got {observed!r})")
        if any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < d for i in observed):
            raise ValueError(f"observed must hold distinct indices in [0, {d - 1}] (got {observed!r})")
        if len(set(observed)) != len(observed) or len(observed) >= d:
            raise ValueError(f"observed must hold distinct indices and leave at least one unknown (got {observed!r})")
        y_obs = _check.points(y_obs, "y_obs").to(W.dtype)
        if y_obs.shape[1] != len(observed):
            raise ValueError(
                f"y_obs must have {len(observed)} columns, one per observed index (got {tuple(y_obs.shape)})"
            )
        unknown = [i for i in range(d) if i not in observed]
        W_o, W_u = W[observed], W[unknown]
        E = (y_obs[:, :, None] - W_o[None]).square().sum(dim=1)
        return W_u.T[None].expand(y_obs.shape[0], -1, -1), E

    # ------------------------------------------------------------------ training
    def fit(self, y, steps=100, method="coordinate", init=None, seed=0, lr=1.0, tol=0.0):
        """Minimise (1/n) sum_i min_z ||y_i - W z||^2 over W, at most ``steps`` updates of W.

        Each update follows a z-step; one last z-step measures the final W (so n_iter <= steps + 1).

        method="coordinate"  alternating exact minimisation (Lloyd): z-step, then w_j = mean of its points;
                             stops as soon as no assignment changes (then W is a fixed point).
        method="gradient"    z-step, then W <- W - lr * dL/dW with L = (1/n) sum_i ||y_i - W z_i||^2,
                             i.e. w_j <- w_j - lr * (2 n_j / n) (w_j - mean_j); runs all ``steps``.
        init   (d, k) starting prototypes; default k-means++ from ``seed``.
        tol    also stop when sum_j ||w_j(new) - w_j(old)||^2 <= tol * mean of the per-coordinate variances
               of y (scikit-learn's rule; its default is 1e-4); 0 stops on unchanged assignments alone.
        An empty cluster takes the point farthest from its prototype (farthest first, clusters in order).
        """
        y = _check.points(y)
        n, d = y.shape
        steps = _check.positive_int(steps, "steps")
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS} (got {method!r})")
        if self.k > n:
            raise ValueError(f"k must be <= the number of points n = {n} (got k = {self.k})")
        lr = _check.positive_number(lr, "lr")
        tol = _check.real_number(tol, "tol", minimum=0.0)
        if init is None:
            W = kmeans_plusplus(y, self.k, seed=seed)
        else:
            _check.seed(seed)
            W = _check.points(init, "init")
            if W.shape != (d, self.k):
                raise ValueError(f"init must have shape (d, k) = ({d}, {self.k}) (got {tuple(W.shape)})")
            W = W.to(device=y.device, dtype=y.dtype).clone()
        tol_abs = tol * y.var(dim=0, unbiased=False).mean().item() if tol > 0 else -1.0
        # The fast path alternates the same two steps as z_step and w_step (tests/test_kmeans.py proves it).
        W, self.history, self.n_iter, self.converged = _kmeans_fast.fit(y, W, steps, method, lr, tol_abs)
        self._W = W
        return self
