"""Energy, the Gibbs distribution, free energy and maximum likelihood.

The lecture's equations, with the symbols it uses:

    P(y | W)   = exp(-beta E(y, W)) / sum_y' exp(-beta E(y', W))            (Gibbs)
    F_beta     = -(1/beta) log mean_z exp(-beta E(z));   F_inf = min_z E(z)  (free energy)
    L(Y, W)    = E(Y, W) + (1/beta) log integral exp(-beta E(y, W)) dy       (negative log-likelihood)
    dL/dW      = dE(Y, W)/dW - E_{y ~ P(y|W)}[ dE(y, W)/dW ]                  (its gradient)
"""

from __future__ import annotations

import math

import torch

from . import _check

__all__ = ["gibbs", "free_energy", "nll", "nll_grad_terms", "fit_max_likelihood", "grid_minima"]


def gibbs(E, beta, dim=-1):
    """P = exp(-beta E) / sum exp(-beta E) along ``dim``.

    ``E`` holds energies of a discrete set of y (or of the cells of an equal-cell grid);
    numpy arrays are accepted and a tensor is returned. Computed as a softmax of
    ``-beta * (E - min E)``, so energies up to 1e6 and beta up to 1e6 give no nan or inf.
    """
    E = _check.finite_tensor(E, "E")
    beta = _check.capped_beta(_check.positive_number(beta, "beta"), E)
    dim = _check.dim_index(dim, E)
    # Shift by the min first (a constant the result is invariant to): -beta * E itself would round away the
    # low bits of the energy differences in float32 when |E| is large (|E| ~ 1e6, beta ~ 3: spacing 0.25).
    return torch.softmax(-beta * (E - E.amin(dim=dim, keepdim=True).detach()), dim=dim)


def free_energy(E, beta=math.inf, dim=-1):
    """Free energy of ``E`` along ``dim`` (the latent variable's axis).

    beta = inf:  F_inf  = min_z E(z)
    0 < beta:    F_beta = -(1/beta) log( (1/|Z|) sum_z exp(-beta E(z)) )

    The 1/|Z| makes F_beta tend to mean_z E as beta -> 0 and to min_z E as beta -> inf,
    non-increasing in beta. The lecture's F_beta has no 1/|Z|: it equals this one minus
    (1/beta) log|Z|, which runs to -inf as beta -> 0.
    """
    E = _check.finite_tensor(E, "E")
    beta = _check.positive_number(beta, "beta", allow_inf=True)
    dim = _check.dim_index(dim, E)
    if math.isinf(beta):
        return E.amin(dim=dim)
    beta = _check.capped_beta(beta, E)
    E_mean = E.mean(dim=dim, keepdim=True)
    E_min = E.amin(dim=dim, keepdim=True)
    # Both shifts are constants F is invariant to, so they are detached: the gradient is exactly gibbs(E, beta).
    x = -beta * (E - E_mean.detach())
    small = x.abs().amax(dim=dim, keepdim=True) < 0.5
    # beta * spread small: about the mean, log1p(mean(expm1(x))) avoids the cancellation of logsumexp(x) - log n.
    log_mean_exp = torch.log1p(torch.expm1(torch.where(small, x, 0.0)).mean(dim=dim, keepdim=True))
    F_small = E_mean.detach() - log_mean_exp / beta
    # Otherwise about the min, as softmax does: exp(-beta (E - min)) <= 1 keeps the low bits of the energy
    # differences (centred on the mean, float32 lost them and the gradient was off by percents at large beta*E).
    lse = torch.logsumexp(-beta * (E - E_min.detach()), dim=dim, keepdim=True) - math.log(E.shape[dim])
    F_large = E_min.detach() - lse / beta
    F = torch.where(small, F_small, F_large).squeeze(dim)
    # F lies in [min E, mean E]; clamp the last ulp of rounding so the bounds hold exactly (min last: a float32
    # mean of equal energies can round below them). The clamp moves the value only (a tie with min or mean must
    # not split the gradient away from gibbs(E, beta)).
    clamped = torch.maximum(torch.minimum(F, E_mean.squeeze(dim)), E_min.squeeze(dim))
    return F + (clamped - F).detach()


def nll(energy_fn, y, grid, cell_volume, beta=1.0):
    """Negative log-likelihood of the data ``y`` (n, d) under the Gibbs density of ``energy_fn``.

    L = mean_i [ E(y_i) + (1/beta) log( sum_g exp(-beta E(g)) * cell_volume ) ]

    The integral over y is a Riemann sum over ``grid`` (m, d), each point standing for a cell of
    volume ``cell_volume``. ``energy_fn`` maps (n, d) -> (n,) and holds its parameters, so
    autograd reaches them. (The lecture's formula drops the log; this is the corrected one.)
    The loss is in units of 1/beta: with beta = 1 it is the NLL in nats.
    """
    _check.callable_fn(energy_fn, "energy_fn")
    y, grid, cell_volume, beta = _check.data_and_grid(y, grid, cell_volume, beta)
    E_data = _check.energies_from(energy_fn, y, "energy_fn", "y")
    E_grid = _check.energies_from(energy_fn, grid, "energy_fn", "grid")
    beta = _check.capped_beta(beta, E_grid)
    # (1/beta) log Z = min E + (1/beta) log sum exp(-beta (E - min E)): no overflow for any beta. The shift is
    # detached; the loss does not depend on it, and neither does its gradient.
    E_min = E_grid.min().detach()
    lse = torch.logsumexp(-beta * (E_grid - E_min), dim=0) + math.log(cell_volume)
    return E_data.mean() - E_min + lse / beta


def nll_grad_terms(energy_fn, params, y, grid, beta=1.0):
    """The two terms of the lecture's gradient of the NLL with respect to ``params``.

    data_term  = mean_i dE(y_i)/dW                  (push down the energy of the data)
    model_term = sum_g P(g | W) dE(g)/dW            (push up, weighted by the model's probability)

    dL/dW = data_term - model_term. Returns two lists of tensors shaped like ``params``.
    """
    _check.callable_fn(energy_fn, "energy_fn")
    if isinstance(params, torch.Tensor):
        raise TypeError("params must be a list of parameter tensors, e.g. [model.W] (got a single tensor)")
    try:
        params = list(params)
    except TypeError as err:
        raise TypeError(f"params must be a list of parameter tensors (got {type(params).__name__})") from err
    if not params or not all(isinstance(p, torch.Tensor) and p.requires_grad and p.is_leaf for p in params):
        raise ValueError("params must be a non-empty list of leaf tensors with requires_grad=True, e.g. [model.W]")
    y, grid, _, beta = _check.data_and_grid(y, grid, 1.0, beta)
    E_data = _check.energies_from(energy_fn, y, "energy_fn", "y")
    E_grid = _check.energies_from(energy_fn, grid, "energy_fn", "grid")
    if not (E_data.requires_grad and E_grid.requires_grad):
        raise ValueError("energy_fn's energies do not depend on params: nothing to differentiate")
    P = gibbs(E_grid.detach(), beta)
    data_term = torch.autograd.grad(E_data.mean(), params, allow_unused=True)
    model_term = torch.autograd.grad((P * E_grid).sum(), params, allow_unused=True)
    zero = [torch.zeros_like(p) for p in params]
    data_term = [z if g is None else g for g, z in zip(data_term, zero)]
    model_term = [z if g is None else g for g, z in zip(model_term, zero)]
    return data_term, model_term


def fit_max_likelihood(model, y, grid, cell_volume, beta=1.0, steps=300, lr=0.05, progress=True, desc="NLL"):
    """Minimise ``nll(model, y, grid, cell_volume, beta)`` over the parameters of ``model``.

    ``model`` is a torch.nn.Module mapping (n, d) -> (n,). Adam with learning rate ``lr`` for ``steps``
    steps (``ebm_course.train.adam``, which stops with an error if training diverges), with a progress
    bar when ``progress``. Returns the history: the loss before each step, a list of ``steps`` floats.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    steps = _check.positive_int(steps, "steps")
    lr = _check.positive_number(lr, "lr")
    y, grid, cell_volume, beta = _check.data_and_grid(y, grid, cell_volume, beta)
    from .train import adam

    return adam(params, lambda step: nll(model, y, grid, cell_volume, beta), steps, lr, progress=progress, desc=desc)


def grid_minima(E, y):
    """The grid points where the energy has a strict local minimum: E[i] < E[i-1] and E[i] < E[i+1].

    ``E`` (m,) holds energies at the points ``y`` of a 1-D grid, (m,) or (m, 1), in order. Interior
    points only. Returns the points (a 1-D tensor), in grid order: inference on a grid finds them all.
    """
    E = _check.finite_tensor(E, "E", ndim=1)
    y = _check.finite_tensor(y, "y")
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or y.shape[0] != E.shape[0]:
        raise ValueError(
            f"y must hold one point per energy, shape ({E.shape[0]},) or ({E.shape[0]}, 1) (got {tuple(y.shape)})"
        )
    if E.shape[0] < 3:
        raise ValueError(f"E needs at least 3 grid points to have an interior minimum (got {E.shape[0]})")
    inner = E[1:-1]
    return y[1:-1][(inner < E[:-2]) & (inner < E[2:])]
