"""Contrastive training of an energy: push down on the data, push up on negatives that a sampler finds.

The gradient of the negative log-likelihood (chapter 2) is

    dL/dW = mean_i dE(y_i)/dW  -  E_{y' ~ P(y'|W)}[ dE(y')/dW ],

and the integral in its second term is what the lecture calls intractable. Contrastive methods replace it
by an average over a few points y'_j, the negatives, and take a gradient step on

    L_c(W) = mean_i E(y_i)  -  mean_j E(y'_j)          (the y'_j held fixed),

which pushes the energy of the data down and that of the negatives up. They differ in how they find the
y'_j. The lecture's contrastive divergence (``cd_negatives``): kick a training sample at random, then
follow the energy down by gradient descent. The samplers of ``ebm_course.samplers`` give others, from
chains started at the data (``"cd_langevin"``) or carried over from one step to the next (persistent
chains, ``ReplayBuffer``).
"""

from __future__ import annotations

import math

import torch

from . import _check, samplers
from .runtime import progress_bar

__all__ = ["cd_negatives", "ReplayBuffer", "fit_contrastive", "METHODS"]

METHODS = ("cd", "cd_langevin", "persistent", "hmc", "metropolis", "uniform")


def _kick(x, name: str = "kick") -> float:
    if isinstance(x, torch.Tensor):
        if x.numel() != 1:
            raise TypeError(f"{name} must be a single number (got a tensor of shape {tuple(x.shape)})")
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{name} must be a real number (got {type(x).__name__})")
    x = float(x)
    if not math.isfinite(x) or x < 0:
        raise ValueError(f"{name} must be >= 0 and finite (got {x})")
    return x


def cd_negatives(energy_fn, y, kick, steps, step_size, seed=None, *, generator=None, trajectory=False):
    """The lecture's contrastive divergence: give each training sample a random kick, then go down the energy.

        y_0 = y + kick * N(0, I),     y_{k+1} = y_k - step_size * grad E(y_k)    (k < steps)

    Returns the end points y_steps, shape (n, d): the points whose energy is to be pushed up. With
    ``trajectory=True``, every point of the path, shape (steps + 1, n, d) (y_0 first).
    The descent adds no noise, so for many steps the end points gather at the local minima of E: they
    are not samples of P(y) ∝ exp(-E(y)) (``samplers.langevin`` adds the noise that makes them so).
    """
    _check.callable_fn(energy_fn, "energy_fn")
    y = samplers._start(y, "y")
    kick = _kick(kick)
    steps = samplers._steps(steps)
    step_size = samplers._step_size(step_size)
    g = samplers._generator(seed, generator, y.device)
    if kick > 0:
        y = y + kick * samplers._randn(y, g)
    path = [y] if trajectory else None
    samplers._energy(energy_fn, y, "the kicked points")
    for k in range(steps):
        _, grad = samplers._grad_along(energy_fn, y, k, step_size)
        y = y - step_size * grad
        if not torch.isfinite(y).all():
            raise ValueError(f"gradient descent diverged at step {k + 1}: lower step_size (got {step_size})")
        if trajectory:
            path.append(y)
    return torch.stack(path) if trajectory else y


class ReplayBuffer:
    """Persistent chains: ``n`` points that carry on from one training step to the next.

    ``sample(k)`` hands out k chains, of which a share ``restart`` (on average) start afresh from
    uniform noise over the box [low, high]^d; ``update`` writes the chains back after the sampler has
    moved them. Short chains restarted at the data every step stay near the data and miss the model's
    other wells; persistent chains keep moving and, over many steps, explore the whole density.
    """

    def __init__(self, n, d, low, high, restart=0.05, seed=0, dtype=torch.float64, device=None):
        n = _check.positive_int(n, "n")
        d = _check.positive_int(d, "d")
        self.low, self.high = _num(low, "low"), _num(high, "high")
        if not self.low < self.high:
            raise ValueError(f"need low < high (got low={self.low}, high={self.high})")
        if isinstance(restart, bool) or not isinstance(restart, (int, float)) or not 0 <= restart <= 1:
            raise ValueError(f"restart must be a number in [0, 1] (got {restart!r})")
        self.restart = float(restart)
        self.generator = torch.Generator(device=device or "cpu").manual_seed(_check.seed(seed))
        self.points = self._noise(n, d, dtype, device)

    def _noise(self, n, d, dtype, device) -> torch.Tensor:
        u = torch.rand(n, d, generator=self.generator, dtype=dtype, device=device)
        return self.low + (self.high - self.low) * u

    def sample(self, k) -> tuple[torch.Tensor, torch.Tensor]:
        """(indices, points) of k chains drawn at random, a share ``restart`` of them reset to noise."""
        k = _check.positive_int(k, "k")
        n, d = self.points.shape
        idx = torch.randint(n, (k,), generator=self.generator, device=self.points.device)
        y = self.points[idx]
        fresh = torch.rand(k, generator=self.generator, dtype=self.points.dtype, device=self.points.device)
        fresh = fresh < self.restart
        noise = self._noise(k, d, self.points.dtype, self.points.device)
        return idx, torch.where(fresh[:, None], noise, y)

    def update(self, idx, points) -> None:
        """Write the moved chains back."""
        self.points[idx] = points.detach().to(self.points)


def _num(x, name):
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"{name} must be a real number (got {type(x).__name__})")
    if not math.isfinite(x):
        raise ValueError(f"{name} must be finite (got {x})")
    return float(x)


def fit_contrastive(
    model,
    y,
    method="persistent",
    steps=300,
    lr=0.05,
    batch_size=256,
    kick=0.3,
    mcmc_steps=10,
    step_size=0.02,
    leapfrog_steps=5,
    box=(-4.0, 4.0),
    restart=0.05,
    buffer_size=2048,
    proposals=4096,
    beta=1.0,
    seed=0,
    progress=True,
    desc=None,
) -> list[float]:
    """Train ``model`` (a torch.nn.Module, (n, d) -> (n,)) on the data ``y`` (n, d) by contrastive steps.

    Each step draws a batch of ``batch_size`` training samples, finds as many negatives with ``method``,
    and takes one Adam step on L_c = mean E(batch) - mean E(negatives); the learning rate decays from
    ``lr`` to 0 along a cosine. The methods (``METHODS``):

    ``"cd"``           the lecture's CD: ``cd_negatives(batch, kick, mcmc_steps, step_size)``
    ``"cd_langevin"``  ``mcmc_steps`` Langevin steps started at the batch (CD-k with Langevin)
    ``"persistent"``   ``mcmc_steps`` Langevin steps on persistent chains (a ``ReplayBuffer``)
    ``"hmc"``          ``mcmc_steps`` HMC steps (``leapfrog_steps`` each) on persistent chains
    ``"metropolis"``   ``mcmc_steps`` random-walk Metropolis steps (proposal std ``step_size``), persistent
    ``"uniform"``      ``samplers.monte_carlo``: ``proposals`` uniform points over the box, resampled

    Persistent chains start from uniform noise over ``box`` = (low, high) in every coordinate, and a share
    ``restart`` of them restarts from it at every step. Returns L_c at every step, a list of floats.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS} (got {method!r})")
    y = samplers._start(y, "y")
    steps = _check.positive_int(steps, "steps")
    lr = _check.positive_number(lr, "lr")
    batch_size = _check.positive_int(batch_size, "batch_size")
    kick = _kick(kick)
    mcmc_steps = _check.positive_int(mcmc_steps, "mcmc_steps", minimum=0)
    step_size = _check.positive_number(step_size, "step_size")
    leapfrog_steps = _check.positive_int(leapfrog_steps, "leapfrog_steps")
    if not isinstance(box, (tuple, list)) or len(box) != 2:
        raise TypeError(f"box must be a pair (low, high) (got {box!r})")
    low, high = _num(box[0], "box[0]"), _num(box[1], "box[1]")
    if not low < high:
        raise ValueError(f"box must have low < high (got {box!r})")
    beta = _check.positive_number(beta, "beta")
    g = torch.Generator(device=y.device).manual_seed(_check.seed(seed))
    box_low = torch.full((y.shape[1],), low, dtype=y.dtype, device=y.device)  # on y's device, like g
    box_high = torch.full((y.shape[1],), high, dtype=y.dtype, device=y.device)
    buffer = None
    if method in ("persistent", "hmc", "metropolis"):
        buffer_size = _check.positive_int(buffer_size, "buffer_size")
        buffer = ReplayBuffer(buffer_size, y.shape[1], low, high, restart, seed=seed, dtype=y.dtype, device=y.device)

    def negatives(batch):
        k = batch.shape[0]
        if method == "cd":
            return cd_negatives(model, batch, kick, mcmc_steps, step_size, generator=g)
        if method == "cd_langevin":
            return samplers.langevin(model, batch, mcmc_steps, step_size, beta, generator=g)
        if method == "uniform":
            return samplers.monte_carlo(model, k, box_low, box_high, None, proposals, beta, generator=g)
        idx, start = buffer.sample(k)
        if method == "persistent":
            out = samplers.langevin(model, start, mcmc_steps, step_size, beta, generator=g)
        elif method == "hmc":
            out = samplers.hmc(model, start, mcmc_steps, step_size, leapfrog_steps, beta, generator=g)
        else:
            out = samplers.metropolis(model, start, mcmc_steps, step_size, beta, generator=g)
        buffer.update(idx, out)
        return out

    opt = torch.optim.Adam(params, lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    n = y.shape[0]
    history = []
    for step in progress_bar(range(steps), desc=desc or method, enabled=progress):
        batch = y if batch_size >= n else y[torch.randint(n, (batch_size,), generator=g, device=y.device)]
        y_neg = negatives(batch).detach()
        loss = model(batch).mean() - model(y_neg).mean()
        if not torch.isfinite(loss):
            raise ValueError(f"training diverged at step {step} (loss {loss.item()}); lower lr (got {lr})")
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
        history.append(loss.item())
    return history


def contrastive_step(model, y, y_neg, lr) -> float:
    """One plain gradient step on L_c = mean E(y) - mean E(y_neg), the negatives held fixed:

        W <- W - lr * (mean_i dE(y_i)/dW - mean_j dE(y'_j)/dW).

    It pushes the energy of the data down and that of the negatives up. Returns L_c before the step.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module (got {type(model).__name__})")
    y = samplers._start(y, "y")
    y_neg = samplers._start(y_neg, "y_neg")
    lr = _check.positive_number(lr, "lr")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model has no trainable parameters")
    loss = (
        _check.energies_from(model, y, "model", "y").mean()
        - _check.energies_from(model, y_neg, "model", "y_neg").mean()
    )
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    with torch.no_grad():
        for p, g in zip(params, grads):
            if g is not None:
                p -= lr * g
    return loss.item()


# The comparison of chapter 7 (and benchmarks/bench_cd.py): one density, one energy, every method.
TABLE_METHODS = {
    "cd": {"kick": 0.3, "mcmc_steps": 5, "step_size": 0.05},
    "cd_langevin": {"mcmc_steps": 5, "step_size": 0.05},
    "persistent": {"mcmc_steps": 5, "step_size": 0.05},
    "hmc": {"mcmc_steps": 1, "step_size": 0.15, "leapfrog_steps": 5},
    "metropolis": {"mcmc_steps": 5, "step_size": 0.5},
    "uniform": {"proposals": 1024},
}
TABLE_TRAINING = {"steps": 300, "lr": 0.05, "batch_size": 128, "buffer_size": 128, "box": (-4.0, 4.0)}


class NLLProblem:
    """The 2-D density of chapter 7's table and the energy every method trains.

    Data: a mixture of three Gaussians (weights 0.5, 0.3, 0.2), 1,000 training and 5,000 held-out samples.
    Energy: ``RBFEnergy`` with 7 x 7 centres on [-3, 3]^2, width 0.6, ``confine`` 0.25, W = 0 at the start.
    Grid: 48 x 48 cells over [-4, 4]^2, for the exact (grid-normalised) NLL and for the exact fit.
    ``entropy`` is the true density's entropy on that grid, the lowest NLL any model can reach on average.
    """

    def __init__(self, seed=0):
        from . import data, models

        seed = _check.seed(seed)
        self.mixture = data.GaussianMixture(
            means=[[-1.2, -0.6], [1.2, -0.6], [0.0, 1.2]], stds=[0.35, 0.45, 0.3], weights=[0.5, 0.3, 0.2]
        )
        self.y_train = self.mixture.sample(1000, seed=seed)
        self.y_test = self.mixture.sample(5000, seed=seed + 1)
        self.grid, self.cell = data.grid_2d(-4.0, 4.0, 48)
        side = torch.linspace(-3.0, 3.0, 7, dtype=torch.float64)
        self.centres = torch.stack(torch.meshgrid(side, side, indexing="xy"), dim=-1).reshape(-1, 2)
        log_p = self.mixture.log_prob(self.grid)
        self.entropy = -(log_p.exp() * log_p).sum().item() * self.cell
        self._models = models

    def model(self):
        """A fresh energy, W = 0 (float64, like the data)."""
        return self._models.RBFEnergy(self.centres, 0.6, confine=0.25)

    def nll(self, model) -> float:
        """Held-out NLL in nats, exact up to the grid's Riemann sum."""
        from .energy import nll

        with torch.no_grad():
            return nll(model, self.y_test, self.grid, self.cell).item()


def compare_methods(problem=None, methods=None, training=None, mle_steps=150, mle_lr=0.2, progress=True) -> dict:
    """Train ``problem.model()`` once by exact maximum likelihood and once with each contrastive method.

    ``methods`` maps a method of ``METHODS`` to its sampler settings (default ``TABLE_METHODS``), ``training``
    holds the settings they share (default ``TABLE_TRAINING``). Returns {name: {"nll": held-out NLL in nats,
    "seconds": wall time of the training, "model": the trained energy}}, the exact fit under "exact", and
    the true density's entropy under "entropy" (a float).
    """
    import time

    from .energy import fit_max_likelihood

    problem = NLLProblem() if problem is None else problem
    methods = TABLE_METHODS if methods is None else methods
    training = {**TABLE_TRAINING, **(training or {})}
    out = {}
    model = problem.model()
    start = time.perf_counter()
    fit_max_likelihood(
        model, problem.y_train, problem.grid, problem.cell, steps=mle_steps, lr=mle_lr, progress=progress, desc="exact"
    )
    out["exact"] = {"nll": problem.nll(model), "seconds": time.perf_counter() - start, "model": model}
    for name, settings in methods.items():
        model = problem.model()
        start = time.perf_counter()
        fit_contrastive(model, problem.y_train, name, **training, **settings, progress=progress)
        out[name] = {"nll": problem.nll(model), "seconds": time.perf_counter() - start, "model": model}
    out["entropy"] = problem.entropy
    return out
