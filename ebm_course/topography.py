"""The topography of a trained energy: push it down on the data only, then find its wells.

A contrastive method exists because pushing the energy down on the training samples is not enough:
nothing stops a flexible energy from being low where there are no data. ``push_down`` trains an
energy that way, with no push-up at all, and ``wells`` / ``farthest_well`` find the low places of the
result on a grid, so that a chapter can measure how low a well far from the data is, and how far it is.
"""

from __future__ import annotations

import torch

from . import _check

__all__ = ["push_down", "wells", "farthest_well"]


def push_down(energy, y, steps=100, lr=0.1, progress=True, desc="push down"):
    """Train by pushing down only: gradient descent on L(W) = (1/n) sum_i E_W(y_i).

    ``energy`` is a torch.nn.Module mapping points (n, d) to energies (n,); its parameters are
    changed in place. No term pushes the energy up anywhere. Returns L before each step (a list).
    """
    if not isinstance(energy, torch.nn.Module):
        raise TypeError(f"energy must be a torch.nn.Module (got {type(energy).__name__})")
    params = [p for p in energy.parameters() if p.requires_grad]
    if not params:
        raise ValueError("energy must have at least one parameter with requires_grad=True")
    y = _check.finite_tensor(y, "y", ndim=2)
    steps = _check.positive_int(steps, "steps")
    lr = _check.positive_number(lr, "lr")
    from .runtime import progress_bar

    opt = torch.optim.SGD(params, lr=lr)
    history = []
    for _ in progress_bar(range(steps), desc=desc, enabled=progress):
        opt.zero_grad()
        loss = _check.energies_from(energy, y, "energy", "y").mean()
        loss.backward()
        opt.step()
        history.append(loss.item())
    return history


def wells(E_map):
    """Indices (into E_map.reshape(-1)) of the wells of an energy on a grid.

    ``E_map`` (rows, cols) holds the energy at the points of a regular 2-D grid. A well is an
    interior grid point lower than all 8 of its neighbours.
    """
    E_map = _check.finite_tensor(E_map, "E_map", ndim=2)
    rows, cols = E_map.shape
    if rows < 3 or cols < 3:
        raise ValueError(f"E_map must be at least 3 x 3 to have an interior point (got {rows} x {cols})")
    inner = E_map[1:-1, 1:-1]
    lowest = torch.ones_like(inner, dtype=torch.bool)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            if di or dj:
                lowest &= inner < E_map[1 + di : rows - 1 + di, 1 + dj : cols - 1 + dj]
    i, j = torch.nonzero(lowest, as_tuple=True)
    return (i + 1) * cols + (j + 1)


def farthest_well(E_map, points, y):
    """The well of E_map farthest from every row of y: (index into points, distance to nearest y).

    ``points`` (rows * cols, d) are the grid points in the order of E_map.reshape(-1).
    """
    E_map = _check.finite_tensor(E_map, "E_map", ndim=2)
    points = _check.finite_tensor(points, "points", ndim=2)
    y = _check.finite_tensor(y, "y", ndim=2)
    if points.shape[0] != E_map.numel():
        raise ValueError(f"points must hold one row per grid point, {E_map.numel()} (got {points.shape[0]})")
    if y.shape[1] != points.shape[1]:
        raise ValueError(f"y must have {points.shape[1]} columns, as points do (got {y.shape[1]})")
    idx = wells(E_map)
    if idx.numel() == 0:
        raise ValueError("E_map has no well: no interior point is lower than its 8 neighbours")
    dist = torch.cdist(points[idx], y.to(points)).min(dim=1).values
    best = int(dist.argmax())
    return int(idx[best]), float(dist[best])
