"""The lecture note's own formulas, kept to show where they go wrong or differ: never train with them.

    nll_without_log   L = E(Y) + (1/beta) integral exp(-beta E(y)) dy       (the note drops the log)
    note_free_energy  F_beta = -(1/beta) log integral_z exp(-beta E) dz   (no 1/|Z|: a convention)

The book's versions are ``ec.nll`` (with the log) and ``ec.free_energy`` / ``latent.free_energy``
(normalised by 1/|Z|). Chapter 2 shows what the missing log does; chapter 3 compares the two F_beta.
"""

from __future__ import annotations

import math

import torch

from . import _check
from .latent import free_energy as _latent_free_energy

__all__ = ["nll_without_log", "note_free_energy"]


def nll_without_log(energy_fn, y, grid, cell_volume, beta=1.0):
    """The lecture note's loss, which drops the log: mean_i E(y_i) + (1/beta) sum_g exp(-beta E(g)) cell_volume.

    It differs from ``ec.nll`` by (1/beta)(Z - log Z) >= 1/beta, where Z is the partition function, and its
    gradient scales the push-up term by Z (chapter 2).
    """
    _check.callable_fn(energy_fn, "energy_fn")
    y, grid, cell_volume, beta = _check.data_and_grid(y, grid, cell_volume, beta)
    E_data = _check.energies_from(energy_fn, y, "energy_fn", "y")
    E_grid = _check.energies_from(energy_fn, grid, "energy_fn", "grid")
    Z = torch.exp(-beta * E_grid).sum() * cell_volume
    if not torch.isfinite(Z):
        raise ValueError("the note's loss overflows for this energy and beta: exp(-beta E) is too large on the grid")
    return E_data.mean() + Z / beta


def note_free_energy(y, y_tilde, beta, z_measure=2 * math.pi):
    """The lecture note's F_beta = -(1/beta) log integral_z exp(-beta E) dz, without the 1/|Z|.

    The integral over z is the mean over the grid times the measure |Z| of the latent set (2 pi for an
    angle), so this is ``latent.free_energy(y, y_tilde, beta) - log(z_measure) / beta``: it runs to -inf
    as beta -> 0 whenever |Z| > 1 (chapter 3). Finite beta only.
    """
    beta = _check.positive_number(beta, "beta")
    z_measure = _check.positive_number(z_measure, "z_measure")
    return _latent_free_energy(y, y_tilde, beta) - math.log(z_measure) / beta
