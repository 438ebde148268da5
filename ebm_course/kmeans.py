"""K-means as an energy-based model: E(y, z) = ||y - W z||^2 with a one-hot z.

    E(y, z)     = ||y - W z||^2,  z one-hot in {e_1, ..., e_k},  prototypes w_j = columns of W (d, k)
    F_inf(y)    = min_z E(y, z) = min_j ||y - w_j||^2                          (inference: argmin_j)
    F_beta(y)   = -(1/beta) log( (1/k) sum_j exp(-beta ||y - w_j||^2) )        (soft-min, as ec.free_energy)

Training minimises the mean free energy (1/n) sum_i F_inf(y_i) over W:
  * coordinate descent (Lloyd): exact z-step z_i = e_argmin, then exact W-step w_j = mean of the y_i with z_i = e_j;
  * gradient: the same z-step, then W <- W - lr * dL/dW with L = (1/n) sum_i ||y_i - W z_i||^2.
"""

from __future__ import annotations

import math

import torch

from . import _check
from .energy import free_energy as _free_energy

__all__ = ["KMeansEBM", "kmeans_plusplus", "draw_diagram"]

_METHODS = ("coordinate", "gradient")


def _data(y, name="y") -> torch.Tensor:
    y = _check.finite_tensor(y, name, ndim=2)
    if not y.is_floating_point():
        raise TypeError(f"{name} must hold real numbers (got dtype {y.dtype})")
    return y


def _scores(yT: torch.Tensor, W: torch.Tensor, shift: float = 0.0, out=None) -> torch.Tensor:
    """s_ji = ||w_j||^2 - 2 w_j . y_i + shift for every prototype j and point i, shape (k, n).

    s_ji = E(y_i, e_j) - ||y_i||^2 + shift: for each point it differs from the energy by a constant, so it
    has the same argmin over j. ``out``: a (k, n) buffer to reuse."""
    Wt = W.T.contiguous()  # BLAS is fastest with both factors contiguous
    return torch.addmm(Wt.square().sum(dim=1, keepdim=True) + shift, Wt, yT, alpha=-2.0, out=out)


def _assign(yT: torch.Tensor, W: torch.Tensor, shift: float, index=None, out=None):
    """z-step for all points at once: (min_j s_ji, argmin_j s_ji), both of shape (n,), s from ``_scores``.

    ``shift`` = 2 max_i ||y_i||^2 makes every score >= max_i ||y_i||^2 >= 0 (as E >= 0).
    Why the trick below: on the CPU, torch's ``min`` along dim 0 (value and index) takes about twice as
    long as the whole z-step done this way, and that decides the race against scikit-learn.
    For float64 numbers >= 0, reading their bits as int64 keeps their order. So the lowest ``bits`` bits of
    each score are overwritten with its row index j, and one ``amin`` returns the smallest score with its
    own j in its low bits. Ties go to the smallest j, as with argmin; the scores change by less than 2^bits
    units in the last place (relative 2^(bits - 52) <= 2^-36), so the chosen j is the argmin up to that
    rounding. Other dtypes, and k > 2^16, use the plain ``min``. ``index`` is arange(k)[:, None], if at hand.
    """
    S = _scores(yT, W, shift, out=out)
    k = S.shape[0]
    bits = max(1, (k - 1).bit_length())
    if S.dtype != torch.float64 or bits > 16:
        best, labels = S.min(dim=0)
        return best, labels
    low = (1 << bits) - 1
    if index is None:
        index = torch.arange(k, device=S.device)[:, None]
    S.view(torch.int64).bitwise_and_(~low).bitwise_or_(index)
    best = S.amin(dim=0)
    return best, best.view(torch.int64) & low


def kmeans_plusplus(y, k, seed=0) -> torch.Tensor:
    """k-means++ starting prototypes (d, k): the first a random row of y, each next one a row drawn with
    probability proportional to its energy min_j ||y - w_j||^2 under the prototypes chosen so far."""
    y = _data(y)
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
        W = _data(value, "W")
        if W.shape[1] != self.k:
            raise ValueError(f"W must have shape (d, k) = (d, {self.k}) (got {tuple(W.shape)})")
        self._W = W.clone()

    def _points(self, y) -> torch.Tensor:
        y = _data(y)
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
        E = _scores(y.T, W).T + y.square().sum(dim=1, keepdim=True)
        if not torch.isfinite(E).all():
            raise ValueError("y (or W) is too large: the squared distances overflow; rescale them")
        return E.clamp_min_(0.0)  # the expansion can round a zero distance to -1e-16

    def energy(self, y, z) -> torch.Tensor:
        """E(y, z) = ||y - W z||^2 for rows y (n, d) and one-hot rows z (n, k) (or indices (n,)): shape (n,)."""
        y = self._points(y)
        if isinstance(z, torch.Tensor) and z.ndim == 1 and not z.is_floating_point():
            if z.shape[0] != y.shape[0]:
                raise ValueError(f"z must have one index per row of y ({y.shape[0]}) (got shape {tuple(z.shape)})")
            if z.numel() and (z.min() < 0 or z.max() >= self.k):
                raise ValueError(f"z indices must lie in [0, {self.k - 1}]")
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
        y_obs = _data(y_obs, "y_obs").to(W.dtype)
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
        y = _data(y)
        n, d = y.shape
        steps = _check.positive_int(steps, "steps")
        if method not in _METHODS:
            raise ValueError(f"method must be one of {_METHODS} (got {method!r})")
        if self.k > n:
            raise ValueError(f"k must be <= the number of points n = {n} (got k = {self.k})")
        lr = _check.positive_number(lr, "lr")
        if isinstance(tol, bool) or not isinstance(tol, (int, float)) or not math.isfinite(tol) or tol < 0:
            raise ValueError(f"tol must be a finite number >= 0 (got {tol!r})")
        if init is None:
            W = kmeans_plusplus(y, self.k, seed=seed)
        else:
            _check.seed(seed)
            W = _data(init, "init")
            if W.shape != (d, self.k):
                raise ValueError(f"init must have shape (d, k) = ({d}, {self.k}) (got {tuple(W.shape)})")
            W = W.to(device=y.device, dtype=y.dtype).clone()
        tol_abs = float(tol) * y.var(dim=0, unbiased=False).mean().item() if tol > 0 else -1.0

        # centre the data (and W with it): distances are unchanged, and ||y||^2 - 2 w.y + ||w||^2 rounds less
        centre = y.mean(dim=0)
        y = y - centre
        W = W - centre[:, None]
        y2 = y.square().sum(dim=1)
        shift = 2.0 * y2.max().item()  # every score >= 0 (see _assign)
        offset = y2.mean().item() - shift  # mean energy = mean score + offset
        yT = y.T.contiguous()
        yT1 = torch.cat([yT, torch.ones(1, n, dtype=y.dtype, device=y.device)])  # the row of ones counts the points
        index = torch.arange(self.k, device=y.device)[:, None]
        buffer = torch.empty(self.k, n, dtype=y.dtype, device=y.device)
        labels_old = None
        history = []
        self.converged = False
        it = 0
        while True:
            # z-step: the exact minimiser of E over one-hot z, for every point at once
            best, labels = _assign(yT, W, shift, index, out=buffer)
            history.append(best.mean().item() + offset)
            it += 1
            if not math.isfinite(history[-1]):  # the squared distances overflow
                if it > 1 and method == "gradient":
                    raise ValueError(f"the gradient steps diverged: lr = {lr} is too large")
                raise ValueError("y and init are too large: their squared distances overflow; rescale y")
            if method == "coordinate" and labels_old is not None and torch.equal(labels, labels_old):
                self.converged = True
                break
            if it > steps:
                break
            # W-step: per-cluster sums and counts in one index_add_ (no loop over points or clusters)
            sums_counts = torch.zeros(d + 1, self.k, dtype=y.dtype, device=y.device).index_add_(1, labels, yT1)
            sums, counts = sums_counts[:d], sums_counts[d]
            if method == "coordinate":
                if (counts == 0).any():
                    sums, counts = _relocate(y, best - shift + y2, labels, sums, counts)
                    W_new = torch.where(counts > 0, sums / counts.clamp_min(1), W)
                else:
                    W_new = sums / counts
            else:
                # dL/dw_j = (2/n) (n_j w_j - sum_j); an empty cluster gets no gradient
                W_new = W - (2.0 * lr / n) * (W * counts - sums)
                if not torch.isfinite(W_new).all():
                    raise ValueError(f"the gradient steps diverged: lr = {lr} is too large")
            moved = (W_new - W).square().sum().item() if tol_abs >= 0 else 0.0
            W = W_new
            labels_old = labels
            if tol_abs >= 0 and moved <= tol_abs:
                self.converged = True
                history.append(_scores(yT, W, shift).amin(dim=0).mean().item() + offset)
                it += 1
                break
        W = W + centre[:, None]
        self._W = W
        self.history = history
        self.n_iter = it
        return self


def _relocate(y, dist, labels, sums, counts):
    """Give each empty cluster, in index order, one of the points farthest from their own prototype
    (the farthest to the first empty cluster); sums is (d, k), counts (k,)."""
    targets = (counts == 0).nonzero().flatten()
    order = torch.sort(dist, descending=True, stable=True).indices[: targets.numel()]
    sums = sums.clone()
    counts = counts.clone()
    sums.index_add_(1, labels[order], -y[order].T)
    counts.index_add_(0, labels[order], -torch.ones(order.numel(), dtype=counts.dtype, device=counts.device))
    sums[:, targets] = y[order].T
    counts[targets] = 1.0
    return sums, counts


def draw_diagram(ax, labels=None):
    """The course's picture of K-means as an EBM (the lecture's Fig. 4) on ``ax``.

    z (latent, red circle) -> W z (a deterministic function, round-topped box) -> y_bar; the cost
    ||y - y_bar||^2 (red square) compares it with y (observed, grey circle); the dashed frame is the
    minimisation over z that turns E(y, z) into F(y). ``labels`` may rename {"min": ..., "F": ...}.
    """
    from matplotlib.patches import Rectangle

    from .diagram import Diagram
    from .plot import COLORS

    text = {"min": "min over $z$", "F": r"$F(y) = \min_z E(y, z)$"}
    text.update(labels or {})
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
