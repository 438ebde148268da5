"""Contrastive divergence and contrastive training: the note's CD, persistent chains, the training loop."""

from __future__ import annotations

import math

import pytest
import torch

import ebm_course as ec
from ebm_course import contrastive, samplers


def _E(y):
    return 0.5 * y.square().sum(dim=1)


def _y(n=200, d=2, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_the_contract_names_are_exported():
    assert ec.langevin is samplers.langevin and ec.hmc is samplers.hmc and ec.cd_negatives is contrastive.cd_negatives


def test_cd_without_kick_or_steps_returns_the_training_samples():
    y = _y()
    out = contrastive.cd_negatives(_E, y, 0.0, 0, 0.1)
    assert torch.equal(out, y) and out.data_ptr() != y.data_ptr()


def test_the_kick_is_gaussian_with_standard_deviation_kick():
    y = torch.zeros(40000, 2, dtype=torch.float64)
    out = contrastive.cd_negatives(_E, y, 0.4, 0, 0.1, seed=0)
    n = out.numel()
    assert abs(out.std().item() - 0.4) < 4 * 0.4 / math.sqrt(2 * n)
    assert out.mean().abs().item() < 4 * 0.4 / math.sqrt(n)


def test_descent_follows_the_gradient_exactly():
    # On E = |y|^2 / 2, each step multiplies y by (1 - step_size).
    y = _y()
    out = contrastive.cd_negatives(_E, y, 0.0, 7, 0.1)
    assert torch.allclose(out, y * 0.9**7, rtol=1e-12)


def test_the_end_points_of_a_long_descent_are_not_samples_but_the_minimum():
    # The model's P ∝ exp(-E) is N(0, I): Langevin chains have unit variance, CD's end points collapse.
    y = _y(2000)
    cd = contrastive.cd_negatives(_E, y, 0.5, 100, 0.1, seed=1)
    lv = samplers.langevin(_E, y, 100, 0.1, seed=1)
    assert cd.var(dim=0).max() < 1e-6
    assert (lv.var(dim=0) - 1 / (1 - 0.1 / 2)).abs().max() < 4 * math.sqrt(2 / 2000) * 1.06


def test_trajectory_starts_at_the_kicked_point_and_the_energy_falls_along_it():
    E = lambda y: ((y - 1.0) ** 2).sum(dim=1) + torch.sin(3 * y[:, 0])  # noqa: E731
    path = contrastive.cd_negatives(E, _y(50), 0.3, 20, 0.02, seed=3, trajectory=True)
    assert path.shape == (21, 50, 2)
    assert torch.equal(path[-1], contrastive.cd_negatives(E, _y(50), 0.3, 20, 0.02, seed=3))
    energies = torch.stack([E(p) for p in path])
    assert (energies[1:] <= energies[:-1] + 1e-12).all()


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"kick": -0.1}, ValueError, "kick"),
        ({"kick": math.nan}, ValueError, "kick"),
        ({"kick": "0.1"}, TypeError, "kick"),
        ({"steps": -1}, ValueError, "steps"),
        ({"step_size": 0.0}, ValueError, "step_size"),
        ({"step_size": -1.0}, ValueError, "step_size"),
        ({"y": torch.tensor([[math.nan, 0.0]])}, ValueError, "y"),
        ({"y": torch.tensor([[math.inf, 0.0]])}, ValueError, "y"),
        ({"energy_fn": lambda y: y}, ValueError, "energy_fn"),
        ({"energy_fn": lambda y: y[:, 0] * math.nan}, ValueError, "energy_fn"),
        ({"energy_fn": 3}, TypeError, "energy_fn"),
        ({"seed": "0"}, TypeError, "seed"),
    ],
)
def test_cd_negatives_rejects_bad_input_naming_the_argument(kwargs, error, word):
    args = {"energy_fn": _E, "y": _y(5), "kick": 0.1, "steps": 3, "step_size": 0.1, **kwargs}
    with pytest.raises(error, match=word):
        contrastive.cd_negatives(**args)


def test_cd_that_diverges_names_the_step_size():
    with pytest.raises(ValueError, match="step_size"):
        contrastive.cd_negatives(lambda y: 1e3 * y.square().sum(dim=1), _y(5), 0.1, 300, 1.0)


# ---------------------------------------------------------------- persistent chains


def test_replay_buffer_restarts_the_asked_share_from_noise_and_keeps_the_rest():
    buf = contrastive.ReplayBuffer(1000, 2, -4.0, 4.0, restart=0.1, seed=0)
    buf.points[:] = 10.0  # far outside the box: a restarted chain is easy to tell
    idx, y = buf.sample(20000)
    fresh = (y.abs() <= 4).all(dim=1)
    assert abs(fresh.double().mean().item() - 0.1) < 4 * math.sqrt(0.1 * 0.9 / 20000)
    assert (y[~fresh] == 10.0).all() and idx.max() < 1000
    buf.update(idx[:5], torch.zeros(5, 2))
    assert (buf.points[idx[:5]] == 0).all()


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [({"n": 0}, "n"), ({"restart": 1.5}, "restart"), ({"low": 4.0, "high": -4.0}, "low < high"), ({"d": 0}, "d")],
)
def test_replay_buffer_rejects_bad_input(kwargs, word):
    args = {"n": 10, "d": 2, "low": -1.0, "high": 1.0, **kwargs}
    with pytest.raises(ValueError, match=word):
        contrastive.ReplayBuffer(**args)


# ---------------------------------------------------------------- training


def _problem_1d():
    mix = ec.data.GaussianMixture(means=[[-1.0], [1.5]], stds=[0.4, 0.5], weights=[0.6, 0.4])
    grid, h = ec.data.grid_1d(-4.0, 4.0, 200)
    return mix.sample(600, seed=0), mix.sample(4000, seed=1), grid, h


def _model_1d():
    return ec.models.RBFEnergy(torch.linspace(-3, 3, 13, dtype=torch.float64)[:, None], 0.5, confine=0.25)


def test_persistent_langevin_training_reaches_the_exact_fit_and_the_notes_cd_does_not():
    # The chapter's problem: a 2-D mixture, 49 bumps, held-out NLL by grid normalisation.
    problem = contrastive.NLLProblem()
    methods = {k: contrastive.TABLE_METHODS[k] for k in ("persistent", "cd")}
    out = contrastive.compare_methods(problem, methods=methods, progress=False)
    flat = problem.nll(problem.model())
    assert out["entropy"] < out["exact"]["nll"] < out["entropy"] + 0.1
    assert out["persistent"]["nll"] < out["exact"]["nll"] + 0.1 < flat - 1.0
    assert out["cd"]["nll"] > out["exact"]["nll"] + 0.5


def test_fit_contrastive_returns_one_loss_per_step():
    y, _, _, _ = _problem_1d()
    history = contrastive.fit_contrastive(_model_1d(), y, "persistent", steps=7, batch_size=32, progress=False)
    assert len(history) == 7 and all(isinstance(v, float) for v in history)


def test_a_contrastive_step_pushes_the_data_down_and_the_negatives_up():
    model = _model_1d()
    y = torch.tensor([[-1.0], [-0.8]], dtype=torch.float64)
    y_neg = torch.tensor([[2.0], [2.2]], dtype=torch.float64)
    with torch.no_grad():
        before = model(y).clone(), model(y_neg).clone()
    loss = contrastive.contrastive_step(model, y, y_neg, lr=0.5)
    with torch.no_grad():
        assert (model(y) < before[0]).all() and (model(y_neg) > before[1]).all()
    # L_c before the step: with W = 0 only the confining term 0.25 |y|^2 / 2 is left
    assert loss == pytest.approx(0.125 * (y.square().mean() - y_neg.square().mean()).item(), rel=1e-12)


@pytest.mark.parametrize("method", contrastive.METHODS)
def test_every_method_runs_reproducibly_from_its_seed(method):
    y, _, _, _ = _problem_1d()
    runs = []
    for _ in range(2):
        model = _model_1d()
        contrastive.fit_contrastive(model, y, method, steps=3, batch_size=32, buffer_size=32, progress=False, seed=4)
        runs.append(model.W.detach().clone())
    assert torch.equal(runs[0], runs[1]) and runs[0].abs().sum() > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"method": "pcd"}, ValueError, "method"),
        ({"model": _E}, TypeError, "model"),
        ({"steps": 0}, ValueError, "steps"),
        ({"lr": -1.0}, ValueError, "lr"),
        ({"kick": -1.0}, ValueError, "kick"),
        ({"step_size": 0.0}, ValueError, "step_size"),
        ({"mcmc_steps": -1}, ValueError, "mcmc_steps"),
        ({"beta": 0.0}, ValueError, "beta"),
        ({"box": (1.0, -1.0)}, ValueError, "box"),
        ({"box": 3.0}, TypeError, "box"),
        ({"y": torch.tensor([[math.nan]])}, ValueError, "y"),
        ({"restart": 2.0}, ValueError, "restart"),
    ],
)
def test_fit_contrastive_rejects_bad_input(kwargs, error, word):
    y, _, _, _ = _problem_1d()
    args = {"model": _model_1d(), "y": y, "method": "persistent", "steps": 2, "progress": False, **kwargs}
    with pytest.raises(error, match=word):
        contrastive.fit_contrastive(**args)


def test_metropolis_acceptance_rejects_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        samplers.metropolis_acceptance(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="beta"):
        samplers.metropolis_acceptance(torch.zeros(3), torch.zeros(3), beta=-1.0)
    with pytest.raises(ValueError, match="E_new"):
        samplers.metropolis_acceptance(torch.zeros(3), torch.tensor([0.0, math.nan, 0.0]))


def test_effective_sample_size_of_independent_draws_and_of_a_sticky_chain():
    g = torch.Generator().manual_seed(0)
    iid = torch.randn(2000, 20, generator=g, dtype=torch.float64)
    assert 0.8 < samplers.effective_sample_size(iid) / iid.numel() < 1.25
    # AR(1) with coefficient 0.9: tau = (1 + 0.9) / (1 - 0.9) = 19
    x = torch.zeros(4000, 20, dtype=torch.float64)
    for t in range(1, 4000):
        x[t] = 0.9 * x[t - 1] + math.sqrt(1 - 0.81) * torch.randn(20, generator=g, dtype=torch.float64)
    tau = x.numel() / samplers.effective_sample_size(x)
    assert 15 < tau < 23
    with pytest.raises(ValueError, match="never moved"):
        samplers.effective_sample_size(torch.ones(10, 3))


def test_rbf_energy_confine_adds_a_fixed_quadratic_and_rejects_bad_values():
    centres = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    W0 = torch.tensor([-1.0, 0.5], dtype=torch.float64)
    plain = ec.models.RBFEnergy(centres, 0.5, W0=W0)
    confined = ec.models.RBFEnergy(centres, 0.5, W0=W0, confine=0.25)
    y = _y(20)
    with torch.no_grad():
        assert torch.allclose(confined(y) - plain(y), 0.125 * y.square().sum(dim=1), rtol=1e-12)
    assert [p.shape for p in confined.parameters()] == [(2,)]  # the quadratic is not trained
    for bad in (-1.0, math.inf, "0.1"):
        with pytest.raises(ValueError, match="confine"):
            ec.models.RBFEnergy(centres, 0.5, confine=bad)
