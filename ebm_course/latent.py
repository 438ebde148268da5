"""Latent-variable energy-based models: E(x, y, z), F_inf = min_z E and the soft minimum F_beta.

The lecture's model, with its symbols:

    y_tilde   = g(x, z)                                      (decoder: a prediction for each latent z)
    E(x, y, z) = ||y - y_tilde||^2                           (cost of y against that prediction)
    F_inf(x, y)  = min_z E(x, y, z)                          (zero temperature)
    F_beta(x, y) = -(1/beta) log mean_z exp(-beta E(x, y, z)) (soft minimum, 1/|Z| normalised)

Without x the same formulas give the unconditional F(y). The latent z runs over a finite set (a grid),
so "mean_z" is an average over it. ``latent.free_energy(y, y_tilde, beta)`` takes points and the
decoder's predictions; ``ec.free_energy(E, beta)`` (``energy.free_energy``), which it calls, takes
the table of energies E[i, k] = E(y_i, z_k) itself. The note's own F_beta, without the 1/|Z|, is
``ec.note_formulas.note_free_energy``; the ellipse data are ``ec.data.sample_ellipse``.

The working example is an ellipse: g(z) = [w1 cos z, w2 sin z], z in [0, 2 pi). Sweeping z traces
the manifold of possible y. The conditional version (a "horn") scales the radii with x: g(x, z) = x g(z).
"""

from __future__ import annotations

import math

import torch

from . import _check, energy

__all__ = [
    "z_grid",
    "ellipse",
    "energies",
    "free_energy",
    "infer_grid",
    "infer_gd",
    "fit_decoder",
]


def z_grid(m=256):
    """m equally spaced latents z_k = 2 pi k / m in [0, 2 pi): the set the minimum and the mean run over."""
    m = _check.positive_int(m, "m")
    return torch.arange(m, dtype=torch.float64) * (2 * math.pi / m)


def _radii(w, name="w"):
    w = _check.finite_tensor(w, name, ndim=1)
    if w.shape[0] != 2:
        raise ValueError(f"{name} must hold the two radii ({name}1, {name}2) (got shape {tuple(w.shape)})")
    return w


def ellipse(z, w, x=None):
    """The ellipse decoder  y_tilde = g(x, z) = x * [w1 cos z, w2 sin z].

    z: latents (m,); w: radii (2,). Without x returns (m, 2): the unconditional g(z).
    With x (n,) returns (n, m, 2): for each input x_i, the ellipse with radii x_i * w (the horn).
    """
    z = _check.finite_tensor(z, "z", ndim=1)
    w = _radii(w)
    g = torch.stack([w[0] * torch.cos(z), w[1] * torch.sin(z)], dim=-1)
    if x is None:
        return g
    x = _check.finite_tensor(x, "x", ndim=1)
    return x[:, None, None] * g[None]


def energies(y, y_tilde):
    """E[i, k] = ||y_i - y_tilde_k||^2: the energy of each y against each latent's prediction.

    y: (n, d). y_tilde: (m, d), shared by every y (unconditional), or (n, m, d), one set per y
    (conditional: y_tilde = g(x_i, z_k)). Returns (n, m).
    """
    y = _check.finite_tensor(y, "y", ndim=2)
    y_tilde = _check.finite_tensor(y_tilde, "y_tilde")
    dtype = torch.promote_types(y.dtype, y_tilde.dtype)  # float32 data against a float64 grid: compute in float64
    y, y_tilde = y.to(dtype), y_tilde.to(dtype)
    if y_tilde.ndim == 2:
        if y_tilde.shape[1] != y.shape[1]:
            raise ValueError(f"y_tilde must be (m, {y.shape[1]}) like y's columns (got {tuple(y_tilde.shape)})")
        # ||y||^2 - 2 y.g + ||g||^2: one matrix product, no (n, m, d) tensor; clamped at 0 against rounding.
        E = (y * y).sum(1, keepdim=True) - 2 * y @ y_tilde.T + (y_tilde * y_tilde).sum(1)[None]
        return E.clamp_min(0.0)
    if y_tilde.ndim == 3:
        if y_tilde.shape[0] != y.shape[0] or y_tilde.shape[2] != y.shape[1]:
            raise ValueError(
                f"y_tilde must be (n, m, d) = ({y.shape[0]}, m, {y.shape[1]}) for y of shape {tuple(y.shape)} "
                f"(got {tuple(y_tilde.shape)})"
            )
        return ((y[:, None, :] - y_tilde) ** 2).sum(-1)
    raise ValueError(f"y_tilde must have 2 or 3 dimensions, (m, d) or (n, m, d) (got shape {tuple(y_tilde.shape)})")


def free_energy(y, y_tilde, beta=math.inf):
    """F_beta(y) = -(1/beta) log mean_z exp(-beta ||y - g(z)||^2);  F_inf(y) = min_z ||y - g(z)||^2.

    Not the same arguments as ``ec.free_energy(E, beta, dim)``: that one reduces a table of energies
    E along one axis; this one first builds the table from points y (n, d) and the predictions
    y_tilde = g(z) of every latent, then reduces it over the latents:

        latent.free_energy(y, y_tilde, beta) == ec.free_energy(latent.energies(y, y_tilde), beta, dim=-1)

    Returns (n,).
    """
    return energy.free_energy(energies(y, y_tilde), beta, dim=-1)


def infer_grid(y, z, y_tilde):
    """Exhaustive inference: z_check_i = argmin_k E(y_i, z_k), and F_inf(y_i) = E(y_i, z_check_i).

    z: the latents (m,) or (m, k) that produced y_tilde (m, d) or (n, m, d). Returns (z_check, F_inf):
    (n,) or (n, k), and (n,).
    """
    z = _check.finite_tensor(z, "z")
    E = energies(y, y_tilde)
    if z.ndim not in (1, 2) or z.shape[0] != E.shape[1]:
        raise ValueError(f"z must hold one latent per prediction, {E.shape[1]} rows (got shape {tuple(z.shape)})")
    F, idx = E.min(dim=1)
    return z[idx], F


def infer_gd(y, decoder, z0, steps=100, lr=0.1, return_path=False):
    """Inference by gradient descent on z:  z <- z - lr * dE/dz,  E = ||y - decoder(z)||^2, each row alone.

    y: (n, d); z0: (n,) or (n, k) starting latents; decoder maps z like z0 to predictions (n, d).
    Returns (z, E) after ``steps`` steps, and with ``return_path`` also the path (steps + 1, *z0.shape).
    Gradient descent finds the minimum of the valley it starts in, which need not be the global one.
    """
    y = _check.finite_tensor(y, "y", ndim=2)
    _check.callable_fn(decoder, "decoder")
    z0 = _check.finite_tensor(z0, "z0")
    if z0.ndim not in (1, 2) or z0.shape[0] != y.shape[0]:
        raise ValueError(f"z0 must hold one starting latent per row of y, ({y.shape[0]},) or ({y.shape[0]}, k)")
    steps = _check.positive_int(steps, "steps", minimum=0)
    lr = _check.positive_number(lr, "lr")

    def E_of(z):
        y_tilde = decoder(z)
        if not isinstance(y_tilde, torch.Tensor) or y_tilde.shape != y.shape:
            got = tuple(y_tilde.shape) if isinstance(y_tilde, torch.Tensor) else type(y_tilde).__name__
            raise ValueError(f"decoder must map z0 to predictions shaped like y {tuple(y.shape)} (got {got})")
        return ((y - y_tilde) ** 2).sum(1)

    z = z0.detach().clone().to(y.dtype).requires_grad_(True)
    path = [z.detach().clone()]
    for _ in range(steps):
        (grad,) = torch.autograd.grad(E_of(z).sum(), [z])
        with torch.no_grad():
            z -= lr * grad
        if not torch.isfinite(z).all():
            raise ValueError(f"gradient descent on z diverged: lower lr (got {lr})")
        path.append(z.detach().clone())
    with torch.no_grad():
        E = E_of(z)
    z = z.detach()
    return (z, E, torch.stack(path)) if return_path else (z, E)


def fit_decoder(y, decode, params, beta=math.inf, steps=200, lr=0.05, progress=True, desc="F"):
    """Learning: minimise the mean free energy of the data, L(params) = mean_i F_beta(y_i), with Adam.

    decode: callable () -> y_tilde (m, d), the predictions of every latent on the grid, computed from
    ``params`` (a list of leaf tensors with requires_grad=True), so autograd reaches them. Trained by
    ``ebm_course.train.adam``, which stops with an error if training diverges. Returns the history: the
    loss before each step, a list of ``steps`` floats. This pushes the energy down on the data and
    nowhere up: with a decoder flexible enough, every y ends up with low energy (the energy surface
    collapses).
    """
    y = _check.points(y)
    _check.callable_fn(decode, "decode")
    if isinstance(params, torch.Tensor):
        raise TypeError("params must be a list of parameter tensors, e.g. [w] (got a single tensor)")
    params = list(params)
    if not params or not all(isinstance(p, torch.Tensor) and p.requires_grad and p.is_leaf for p in params):
        raise ValueError("params must be a non-empty list of leaf tensors with requires_grad=True, e.g. [w]")
    beta = _check.positive_number(beta, "beta", allow_inf=True)
    steps = _check.positive_int(steps, "steps")
    lr = _check.positive_number(lr, "lr")
    y_tilde = decode()
    if not isinstance(y_tilde, torch.Tensor) or not y_tilde.requires_grad:
        raise TypeError("decode must return the predictions y_tilde (m, d) as a tensor computed from params")
    from .train import adam

    return adam(params, lambda step: free_energy(y, decode(), beta).mean(), steps, lr, progress=progress, desc=desc)
