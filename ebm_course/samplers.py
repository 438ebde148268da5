"""Samplers of the Gibbs density P(y) = exp(-beta E(y)) / Z: the lecture's Monte Carlo, MCMC and HMC.

Each runs n chains at once (the rows of ``y0``, shape (n, d)) on the device and in the dtype of
``y0``; ``energy_fn`` maps (n, d) -> (n,). A ``seed`` (or a ``torch.Generator``) makes a run
reproducible without touching torch's global generator; with neither, the global generator is used.

    monte_carlo  uniform proposals u_j over a box, resampled with weights exp(-beta E(u_j))
    metropolis   y' = y + step_size * N(0, I), accepted with probability min(1, exp(-beta (E(y') - E(y))))
    langevin     y <- y - step_size * grad E(y) + sqrt(2 step_size / beta) * N(0, I)      (unadjusted)
    hmc          momentum p ~ N(0, I), leapfrog on H = beta E(y) + |p|^2 / 2, Metropolis accept/reject
"""

from __future__ import annotations

import math

import torch

from . import _check

__all__ = [
    "monte_carlo",
    "metropolis",
    "langevin",
    "hmc",
    "metropolis_acceptance",
    "effective_sample_size",
    "energy_grad",
]


def _step_size(x, name: str = "step_size") -> float:
    return _check.positive_number(x, name)


def _steps(x, name: str = "steps") -> int:
    return _check.positive_int(x, name, minimum=0)


def _start(y0, name: str = "y0") -> torch.Tensor:
    y = _check.finite_tensor(y0, name, ndim=2)
    if not y.is_floating_point():
        raise TypeError(f"{name} must hold real numbers (got dtype {y.dtype})")
    if y.shape[1] == 0:
        raise ValueError(f"{name} must have at least one column (got shape {tuple(y.shape)})")
    return y.detach().clone()


def _generator(seed, generator, device) -> torch.Generator | None:
    if generator is not None:
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator (got {type(generator).__name__})")
        if seed is not None:
            raise ValueError("give seed or generator, not both")
        return generator
    if seed is None:
        return None
    return torch.Generator(device=device).manual_seed(_check.seed(seed))


def _energy(energy_fn, y: torch.Tensor, where: str) -> torch.Tensor:
    return _check.energies_from(energy_fn, y, "energy_fn", where).detach()


def energy_grad(energy_fn, y, where: str = "y") -> tuple[torch.Tensor, torch.Tensor]:
    """E(y) and grad_y E(y) for the rows of ``y`` (n, d), both detached.

    Only y is differentiated: parameters captured by ``energy_fn`` get no gradient.
    """
    with torch.enable_grad():
        y = y.detach().requires_grad_(True)
        E = _check.energies_from(energy_fn, y, "energy_fn", where)
        if not E.requires_grad:
            raise ValueError("energy_fn's energies do not depend on y: there is no gradient to follow")
        (g,) = torch.autograd.grad(E.sum(), y)
    if not torch.isfinite(g).all():
        raise ValueError(f"the gradient of energy_fn is not finite on {where}")
    return E.detach(), g


def _grad_along(energy_fn, y, k, step_size):
    """energy_grad at step k of a chain; a failure after the start says the chains may have diverged."""
    try:
        return energy_grad(energy_fn, y, f"the chains at step {k}")
    except ValueError as err:
        if k == 0:
            raise
        raise ValueError(f"{err} (the chains may have diverged: lower step_size, got {step_size})") from err


def _randn(y: torch.Tensor, g) -> torch.Tensor:
    return torch.randn(y.shape, generator=g, dtype=y.dtype, device=y.device)


def _common(energy_fn, y0, steps, step_size, beta, seed, generator):
    _check.callable_fn(energy_fn, "energy_fn")
    y = _start(y0)
    steps = _steps(steps)
    step_size = _step_size(step_size)
    beta = _check.positive_number(beta, "beta")
    g = _generator(seed, generator, y.device)
    return y, steps, step_size, beta, g


def langevin(energy_fn, y0, steps, step_size, beta=1.0, seed=None, *, generator=None, trajectory=False):
    """Unadjusted Langevin dynamics, n chains at once:

        y <- y - step_size * grad E(y) + sqrt(2 step_size / beta) * N(0, I).

    For a small step size its chains are distributed as P(y) ∝ exp(-beta E(y)) after enough steps
    (the discretisation biases them by O(step_size): on E = a y^2 / 2 the stationary variance is
    1 / (beta a (1 - a step_size / 2)), not 1 / (beta a)). Returns the final points, shape (n, d);
    with ``trajectory=True`` every point visited, shape (steps + 1, n, d).
    """
    y, steps, step_size, beta, g = _common(energy_fn, y0, steps, step_size, beta, seed, generator)
    noise = math.sqrt(2 * step_size / beta)
    path = [y] if trajectory else None
    _energy(energy_fn, y, "y0")
    for k in range(steps):
        _, grad = _grad_along(energy_fn, y, k, step_size)
        y = y - step_size * grad + noise * _randn(y, g)
        if not torch.isfinite(y).all():
            raise ValueError(f"the chains left every finite value at step {k + 1}: lower step_size (got {step_size})")
        if trajectory:
            path.append(y)
    return torch.stack(path) if trajectory else y


def _leapfrog(energy_fn, y, p, grad, step_size, leapfrog_steps, beta, k):
    p = p - 0.5 * step_size * beta * grad
    for i in range(leapfrog_steps):
        y = y + step_size * p
        E, grad = _grad_along(energy_fn, y, k + 1, step_size)
        if i < leapfrog_steps - 1:
            p = p - step_size * beta * grad
    p = p - 0.5 * step_size * beta * grad
    return y, p, E, grad


def hmc(
    energy_fn, y0, steps, step_size, leapfrog_steps=10, beta=1.0, seed=None, *, generator=None, return_acceptance=False
):
    """Hamiltonian Monte Carlo with unit mass, n chains at once. Each of the ``steps`` steps:

    1. draw a momentum p ~ N(0, I);
    2. run ``leapfrog_steps`` leapfrog steps of size ``step_size`` on H(y, p) = beta E(y) + |p|^2 / 2;
    3. accept the end point (y', p') with probability min(1, exp(H(y, p) - H(y', p'))), else stay.

    The accept/reject step makes P(y) ∝ exp(-beta E(y)) exactly stationary, whatever the step size.
    Returns the final points (n, d); with ``return_acceptance=True`` also the fraction of proposals
    accepted, over all chains and steps.
    """
    y, steps, step_size, beta, g = _common(energy_fn, y0, steps, step_size, beta, seed, generator)
    leapfrog_steps = _check.positive_int(leapfrog_steps, "leapfrog_steps")
    E, grad = energy_grad(energy_fn, y, "y0")
    accepted = 0
    for k in range(steps):
        p = _randn(y, g)
        y_new, p_new, E_new, grad_new = _leapfrog(energy_fn, y, p, grad, step_size, leapfrog_steps, beta, k)
        H = beta * E + 0.5 * p.square().sum(dim=1)
        H_new = beta * E_new + 0.5 * p_new.square().sum(dim=1)
        u = torch.rand(E.shape, generator=g, dtype=y.dtype, device=y.device)
        accept = torch.log(u) < H - H_new  # H_new finite (checked), so no nan here
        y = torch.where(accept[:, None], y_new, y)
        E = torch.where(accept, E_new, E)
        grad = torch.where(accept[:, None], grad_new, grad)
        accepted += int(accept.sum())
    if return_acceptance:
        return y, accepted / max(1, steps * y.shape[0])
    return y


def metropolis_acceptance(E_old, E_new, beta=1.0) -> torch.Tensor:
    """The Metropolis acceptance probability min(1, exp(-beta (E_new - E_old))), elementwise.

    Computed as exp(min(0, -beta (E_new - E_old))), which never overflows.
    """
    E_old = _check.finite_tensor(E_old, "E_old")
    E_new = _check.finite_tensor(E_new, "E_new")
    if E_old.shape != E_new.shape:
        raise ValueError(f"E_old and E_new must have the same shape (got {tuple(E_old.shape)}, {tuple(E_new.shape)})")
    beta = _check.capped_beta(_check.positive_number(beta, "beta"), E_new)
    return torch.exp(torch.clamp(-beta * (E_new - E_old), max=0.0))


def effective_sample_size(trace) -> float:
    """Effective number of independent draws in ``trace`` (T, n): T steps of n chains of one coordinate.

    n T / tau, with the integrated autocorrelation time tau = 1 + 2 sum_t rho_t estimated from the
    chains' mean autocorrelation, summed in pairs while the pair sums stay positive (Geyer's initial
    positive sequence).
    """
    x = _check.finite_tensor(trace, "trace", ndim=2).double()
    T, n = x.shape
    if T < 4:
        raise ValueError(f"trace needs at least 4 steps (got {T})")
    x = x - x.mean(dim=0)
    f = torch.fft.rfft(x, n=2 * T, dim=0)
    acov = torch.fft.irfft(f * f.conj(), n=2 * T, dim=0)[:T].mean(dim=1) / T
    if acov[0] <= 0:
        raise ValueError("trace is constant: its chains never moved")
    rho = acov / acov[0]
    tau = -1.0
    for t in range(0, T - 1, 2):
        pair = (rho[t] + rho[t + 1]).item()
        if pair <= 0:
            break
        tau += 2 * pair
    return n * T / max(tau, 1e-12)


def metropolis(energy_fn, y0, steps, step_size, beta=1.0, seed=None, *, generator=None, return_acceptance=False):
    """Random-walk Metropolis, n chains at once. Each step proposes y' = y + step_size * N(0, I) and
    accepts it with probability min(1, exp(-beta (E(y') - E(y)))); a rejected chain stays where it is.

    P(y) ∝ exp(-beta E(y)) is stationary; no gradient is needed. Returns the final points (n, d);
    with ``return_acceptance=True`` also the fraction of proposals accepted.
    """
    y, steps, step_size, beta, g = _common(energy_fn, y0, steps, step_size, beta, seed, generator)
    E = _energy(energy_fn, y, "y0")
    accepted = 0
    for k in range(steps):
        y_new = y + step_size * _randn(y, g)
        E_new = _energy(energy_fn, y_new, f"the proposals at step {k}")
        u = torch.rand(E.shape, generator=g, dtype=y.dtype, device=y.device)
        accept = u < metropolis_acceptance(E, E_new, beta)
        y = torch.where(accept[:, None], y_new, y)
        E = torch.where(accept, E_new, E)
        accepted += int(accept.sum())
    if return_acceptance:
        return y, accepted / max(1, steps * y.shape[0])
    return y


def _bound(x, name: str) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        t = _check.finite_tensor(x, name)
    elif isinstance(x, bool) or not isinstance(x, (int, float)):
        t = _check.finite_tensor(x, name) if isinstance(x, (list, tuple)) else None
        if t is None:
            raise TypeError(f"{name} must be a real number or a 1-D tensor (got {type(x).__name__})")
    else:
        t = _check.finite_tensor(torch.tensor(float(x), dtype=torch.float64), name)
    if t.ndim > 1:
        raise ValueError(f"{name} must be a number or 1-D (got shape {tuple(t.shape)})")
    return t if t.is_floating_point() else t.double()


def _box(low, high):
    low, high = _bound(low, "low"), _bound(high, "high")
    if low.ndim == 1 and high.ndim == 1 and low.shape != high.shape:
        raise ValueError(f"low and high must have the same length (got {low.shape[0]}, {high.shape[0]})")
    if not (low < high).all():
        raise ValueError(f"need low < high in every coordinate (got low={low.tolist()}, high={high.tolist()})")
    return low, high.to(low)


def monte_carlo(
    energy_fn, n, low, high, d=None, proposals=4096, beta=1.0, seed=None, *, generator=None, return_ess=False
):
    """Plain Monte Carlo over the box [low, high]^d: draw ``proposals`` points u_j uniformly, weight each by
    w_j ∝ exp(-beta E(u_j)), and resample ``n`` of them with replacement by those weights.

    The result is distributed as P(y) ∝ exp(-beta E(y)) restricted to the box, up to the error of
    self-normalised importance weights (small when the effective sample size 1 / sum_j w_j^2 is large;
    it collapses in high dimensions, where almost every uniform point has a negligible weight).
    ``low`` and ``high`` are numbers or 1-D (d,) tensors; ``d`` is needed only when both are numbers.
    Returns (n, d) points, float64 unless ``low`` is a tensor of another dtype, on ``low``'s device; with
    ``return_ess=True`` also the effective sample size as a fraction of ``proposals``.
    """
    _check.callable_fn(energy_fn, "energy_fn")
    n = _check.positive_int(n, "n")
    proposals = _check.positive_int(proposals, "proposals")
    beta = _check.positive_number(beta, "beta")
    low, high = _box(low, high)
    if low.ndim == 0 and high.ndim == 0:
        if d is None:
            raise ValueError("d must be given when low and high are numbers")
        d = _check.positive_int(d, "d")
    else:
        size = low.shape[0] if low.ndim == 1 else high.shape[0]
        if d is not None and _check.positive_int(d, "d") != size:
            raise ValueError(f"d must match the length of low/high, {size} (got {d})")
        d = size
    g = _generator(seed, generator, low.device)
    u = torch.rand(proposals, d, generator=g, dtype=low.dtype, device=low.device)
    u = low + (high - low) * u
    E = _energy(energy_fn, u, "the uniform proposals")
    w = torch.softmax(-beta * (E - E.min()), dim=0)
    idx = torch.multinomial(w, n, replacement=True, generator=g)
    if return_ess:
        return u[idx], (1.0 / w.square().sum()).item() / proposals
    return u[idx]
