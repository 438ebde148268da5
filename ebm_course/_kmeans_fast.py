"""The fast path behind ``KMeansEBM.fit``: the same z-step and W-step as ``kmeans.z_step`` and
``kmeans.w_step``, arranged for speed. Tests prove the two give the same prototypes.

What makes it fast, and why each trick keeps the result:

* The data are centred (and W with them): distances do not change when both move together, and
  ||y||^2 - 2 w.y + ||w||^2 rounds less near the origin.
* The z-step compares scores s_ji = ||w_j||^2 - 2 w_j.y_i + shift, which differ from the energies
  E(y_i, e_j) by a constant per point, so they have the same argmin over j.
* The scores are computed a block of points at a time, into one small buffer that stays in the
  CPU's cache, instead of one (k, n) matrix that is written to and read back from memory.
* The argmin reads the float64 scores as int64 with the column index in their lowest bits, so one
  ``amin`` gives the smallest score and its index (see ``_assign``).
* The W-step sums the points of every cluster and counts them in one ``index_add_``.
"""

from __future__ import annotations

import math

import torch

# Scores per block of the z-step: a (k, SCORES // k) float64 buffer of 512 KiB (32 prototypes x 2,048
# points) fits a core's L2 cache, and is large enough that the call overhead of a block stays small.
SCORES = 65536


def _scores(yT: torch.Tensor, Wt: torch.Tensor, w2: torch.Tensor, out=None) -> torch.Tensor:
    """s_ji = (||w_j||^2 + shift) - 2 w_j . y_i for every prototype j and point i, shape (k, n).

    ``Wt`` is W.T (k, d), contiguous; ``w2`` (k, 1) holds ||w_j||^2 + shift; ``out`` a buffer."""
    return torch.addmm(w2, Wt, yT, alpha=-2.0, out=out)


def _blocks(yT: torch.Tensor, k: int, best: torch.Tensor) -> list:
    """(points, scores buffer, best) for each block of b = max(256, SCORES // k) points: made once per
    ``fit``, and the one (k, b) buffer is reused by every block and every step."""
    n = yT.shape[1]
    b = max(256, SCORES // k)
    buffer = torch.empty(k, min(n, b), dtype=yT.dtype, device=yT.device)
    return [(yT[:, a : a + b].contiguous(), buffer[:, : min(b, n - a)], best[a : a + b]) for a in range(0, n, b)]


def _assign(yT: torch.Tensor, W: torch.Tensor, shift: float, index=None, blocks=None, best=None, labels=None):
    """z-step for all points: (min_j s_ji, argmin_j s_ji), both of shape (n,), with s from ``_scores``.

    ``shift`` = 2 max_i ||y_i||^2 makes every score >= max_i ||y_i||^2 >= 0 (as E >= 0).
    For float64 numbers >= 0, reading their bits as int64 keeps their order. So the lowest ``bits`` bits of
    each score are overwritten with its row index j, and one ``amin`` returns the smallest score with its
    own j in its low bits (on the CPU, torch's ``min`` with indices takes about ten times as long). Ties go
    to the smallest j, as with argmin; the scores change by less than 2^bits units in the last place
    (relative 2^(bits - 52) <= 2^-36), so the chosen j is the argmin up to that rounding. Other dtypes, and
    k > 2^16, use the plain ``min``. ``index`` is arange(k)[:, None]; ``best`` and ``labels`` (n,) outputs
    to fill (float64 and int64), ``blocks`` their views from ``_blocks``; each is made if not given.
    """
    k, n = W.shape[1], yT.shape[1]
    Wt = W.T.contiguous()  # BLAS is fastest with both factors contiguous
    w2 = Wt.square().sum(dim=1, keepdim=True) + shift
    bits = max(1, (k - 1).bit_length())
    if yT.dtype != torch.float64 or bits > 16:
        values, indices = _scores(yT, Wt, w2).min(dim=0)
        if best is not None:
            best.copy_(values)
            values = best
        if labels is not None:
            labels.copy_(indices)
            indices = labels
        return values, indices
    low = (1 << bits) - 1
    if index is None:
        index = torch.arange(k, device=yT.device)[:, None]
    if best is None:
        best = torch.empty(n, dtype=yT.dtype, device=yT.device)
        blocks = None
    if blocks is None:
        blocks = _blocks(yT, k, best)
    for points, S, best_block in blocks:  # a block at a time: its scores stay in the cache
        _scores(points, Wt, w2, out=S)
        S.view(torch.int64).bitwise_and_(~low).bitwise_or_(index)
        torch.amin(S, dim=0, out=best_block)
    if labels is None:
        labels = torch.empty(n, dtype=torch.int64, device=yT.device)
    torch.bitwise_and(best.view(torch.int64), low, out=labels)
    return best, labels


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


def fit(y: torch.Tensor, W: torch.Tensor, steps: int, method: str, lr: float, tol_abs: float):
    """Lloyd (method "coordinate") or gradient steps on W from the start W; arguments already checked.

    Returns (W, history, n_iter, converged), as ``KMeansEBM.fit`` documents them."""
    n, d = y.shape
    k = W.shape[1]
    # centre the data (and W with it): distances are unchanged, and ||y||^2 - 2 w.y + ||w||^2 rounds less
    centre = y.mean(dim=0)
    y = y - centre
    W = W - centre[:, None]
    y2 = y.square().sum(dim=1)
    shift = 2.0 * y2.max().item()  # every score >= 0 (see _assign)
    offset = y2.mean().item() - shift  # mean energy = mean score + offset
    yT = y.T.contiguous()
    yT1 = torch.cat([yT, torch.ones(1, n, dtype=y.dtype, device=y.device)])  # the row of ones counts the points
    index = torch.arange(k, device=y.device)[:, None]
    best = torch.empty(n, dtype=y.dtype, device=y.device)
    blocks = _blocks(yT, k, best)
    labels = torch.empty(n, dtype=torch.int64, device=y.device)
    labels_old = torch.empty_like(labels)
    sums_counts = torch.empty(d + 1, k, dtype=y.dtype, device=y.device)
    history = []
    converged = False
    it = 0
    while True:
        # z-step: the exact minimiser of E over one-hot z, for every point at once
        _assign(yT, W, shift, index, blocks=blocks, best=best, labels=labels)
        history.append(best.mean().item() + offset)
        it += 1
        if not math.isfinite(history[-1]):  # the squared distances overflow
            if it > 1 and method == "gradient":
                raise ValueError(f"the gradient steps diverged: lr = {lr} is too large")
            raise ValueError("y and init are too large: their squared distances overflow; rescale y")
        if method == "coordinate" and it > 1 and torch.equal(labels, labels_old):
            converged = True
            break
        if it > steps:
            break
        # W-step: per-cluster sums and counts in one index_add_ (no loop over points or clusters)
        sums_counts.zero_().index_add_(1, labels, yT1)
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
        labels, labels_old = labels_old, labels
        if tol_abs >= 0 and moved <= tol_abs:
            converged = True
            _assign(yT, W, shift, index, blocks=blocks, best=best, labels=labels)
            history.append(best.mean().item() + offset)
            it += 1
            break
    return W + centre[:, None], history, it, converged
