"""The one training loop the package's gradient-trained models share: Adam on a loss, with one rule for
divergence.

    history = train.adam(params, loss_fn, steps, lr)

``loss_fn(step)`` returns the loss (a scalar tensor) at the current parameters; it may draw a fresh
minibatch or fresh noise each step. Each step computes the loss, appends its value to ``history``,
back-propagates and takes one Adam step. ``history`` is the list of floats that every trainer returns
(a function that trains a model passed to it) or keeps (a class's ``fit``, which returns ``self``):
the loss before each step, one per step.

The rule for divergence, the same for every caller: training stops with a ValueError that names the step
and ``lr`` as soon as the loss is not finite (before its gradient touches the parameters) or a
parameter is not finite after a step. A finite loss that merely goes up is not an error.
"""

from __future__ import annotations

import math

import torch

from . import _check
from .runtime import progress_bar

__all__ = ["adam"]


def adam(params, loss_fn, steps, lr, *, cosine=False, progress=True, desc="") -> list[float]:
    """Minimise ``loss_fn(step)`` over ``params`` (leaf tensors with requires_grad) with Adam.

    ``cosine``: decay the learning rate from ``lr`` to 0 along a cosine (the DAE uses it: its loss is
    noisy, fresh corruption every step, and the last steps settle with a small rate). Returns the
    history: the loss before each step, a list of ``steps`` floats.
    """
    if isinstance(params, torch.Tensor):
        raise TypeError("params must be a list of parameter tensors, e.g. [w] (got a single tensor)")
    params = list(params)
    if not params or not all(isinstance(p, torch.Tensor) and p.requires_grad and p.is_leaf for p in params):
        raise ValueError("params must be a non-empty list of leaf tensors with requires_grad=True, e.g. [w]")
    _check.callable_fn(loss_fn, "loss_fn")
    steps = _check.positive_int(steps, "steps")
    lr = _check.positive_number(lr, "lr")
    opt = torch.optim.Adam(params, lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps) if cosine else None
    history: list[float] = []
    bar = progress_bar(range(steps), desc=desc, enabled=progress)
    for step in bar:
        loss = loss_fn(step)
        value = loss.item()
        if not math.isfinite(value):
            raise ValueError(
                f"training diverged at step {step} (loss {value}): lower lr (got {lr}) or rescale the data"
            )
        opt.zero_grad()
        loss.backward()
        opt.step()
        if schedule is not None:
            schedule.step()
        history.append(value)
        if not all(bool(torch.isfinite(p).all()) for p in params):
            raise ValueError(
                f"training diverged at step {step}: the parameters became non-finite; lower lr (got {lr}) "
                "or rescale the data"
            )
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
    return history
