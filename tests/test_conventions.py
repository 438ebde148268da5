"""The conventions every module of ebm_course follows (README, "Adding a chapter").

A class's fit returns self and keeps ``history``; a function that trains a model passed to it returns
that history; all three gradient trainers stop on divergence by one rule (ebm_course.train); numbers
given as strings are rejected everywhere; integer tensors stay integer; algorithm modules draw nothing.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

import ebm_course as ec
from ebm_course import _check, train

PACKAGE = Path(ec.__file__).parent


def _ellipse_problem():
    y, _ = ec.data.sample_ellipse(40, noise=0.1, seed=2)
    z = ec.latent.z_grid(16)
    w = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    return y, z, w


def _nll_problem():
    grid, h = ec.data.grid_1d(-3.0, 3.0, 40)
    y = ec.data.GaussianMixture([[-1.0], [1.0]], [0.5, 0.5], [0.5, 0.5]).sample(50, seed=0)
    return ec.models.RBFEnergy(grid[::4], 0.5), y, grid, h


# ------------------------------------------------------------------ fit returns self, history is a list of floats


def test_a_class_fit_returns_self_and_keeps_one_float_per_step():
    y = ec.data.Spiral().sample(200, seed=0)
    km = ec.KMeansEBM(4)
    assert km.fit(y, steps=5, method="gradient") is km
    assert len(km.history) == 6 and all(type(v) is float for v in km.history)  # 5 steps and the final W
    dae = ec.dae.DAE(2, hidden=8, seed=0).double()
    assert dae.history == []
    assert dae.fit(y, 0.1, steps=7, progress=False) is dae
    assert len(dae.history) == 7 and all(type(v) is float for v in dae.history)


def test_a_function_that_trains_a_model_returns_its_history():
    model, y, grid, h = _nll_problem()
    history = ec.fit_max_likelihood(model, y, grid, h, steps=6, progress=False)
    assert len(history) == 6 and all(type(v) is float for v in history)
    assert history[0] == pytest.approx(ec.nll(ec.models.RBFEnergy(grid[::4], 0.5), y, grid, h).item())
    y, z, w = _ellipse_problem()
    history = ec.latent.fit_decoder(y, lambda: ec.latent.ellipse(z, w), [w], steps=4, progress=False)
    assert len(history) == 4 and all(type(v) is float for v in history)


# ------------------------------------------------------------------ one rule for divergence


def test_the_three_trainers_stop_on_divergence_with_the_same_message():
    model, y_nll, grid, h = _nll_problem()
    y, z, w = _ellipse_problem()
    with pytest.raises(ValueError, match="training diverged at step"):
        ec.fit_max_likelihood(model, y_nll, grid, h, steps=5, lr=1e308, progress=False)
    with pytest.raises(ValueError, match="training diverged at step"):
        ec.latent.fit_decoder(y, lambda: ec.latent.ellipse(z, w), [w], steps=3, lr=1e308, progress=False)
    with pytest.raises(ValueError, match="training diverged at step"):
        ec.dae.DAE(2, hidden=4, seed=0).double().fit(1e200 * y, 1.0, steps=5, progress=False)


def test_the_training_helper_stops_before_a_nan_loss_reaches_the_parameters():
    w = torch.ones(2, requires_grad=True)
    losses = iter([1.0, 2.0, math.nan])

    def loss(step):
        return (w * 0).sum() + next(losses)

    with pytest.raises(ValueError, match="training diverged at step 2 .*lower lr"):
        train.adam([w], loss, steps=5, lr=0.1, progress=False)
    assert torch.isfinite(w).all()


def test_the_training_helper_returns_the_loss_before_each_step_and_decays_with_cosine():
    w = torch.tensor([3.0], requires_grad=True)
    history = train.adam([w], lambda step: (w**2).sum(), steps=50, lr=0.1, cosine=True, progress=False)
    assert len(history) == 50 and history[0] == 9.0 and history[-1] < history[0]
    with pytest.raises(TypeError, match="params must be a list"):
        train.adam(w, lambda step: (w**2).sum(), steps=5, lr=0.1)
    with pytest.raises(TypeError, match="loss_fn must be callable"):
        train.adam([w], None, steps=5, lr=0.1)
    with pytest.raises(TypeError, match="lr must be a real number"):
        train.adam([w], lambda step: (w**2).sum(), steps=5, lr="0.1")


# ------------------------------------------------------------------ numbers given as strings


Y = torch.zeros(4, 2, dtype=torch.float64)
W2 = torch.zeros(2, 3, dtype=torch.float64)

STRINGS = [
    ("gibbs beta", lambda: ec.gibbs(torch.zeros(3), "1.0"), "beta"),
    ("free_energy beta", lambda: ec.free_energy(torch.zeros(3), "1.0"), "beta"),
    ("Spiral noise", lambda: ec.data.Spiral(noise="0.1"), "noise"),
    ("Spiral turns", lambda: ec.data.Spiral(turns="2"), "turns"),
    ("grid_1d lo", lambda: ec.data.grid_1d("0", "1", 4), "lo"),
    ("grid_1d hi", lambda: ec.data.grid_1d(0.0, "1", 4), "hi"),
    ("grid_1d m", lambda: ec.data.grid_1d(0.0, 1.0, "4"), "m"),
    ("sample_ellipse noise", lambda: ec.data.sample_ellipse(5, noise="0.1"), "noise"),
    ("sample_ellipse n", lambda: ec.data.sample_ellipse("5"), "n"),
    ("corrupt sigma", lambda: ec.dae.corrupt(Y, "0.1"), "sigma"),
    ("corrupt p", lambda: ec.dae.corrupt(Y, 0.1, p="0.5"), "p"),
    ("KMeansEBM k", lambda: ec.KMeansEBM("3"), "k"),
    ("KMeansEBM.fit tol", lambda: ec.KMeansEBM(2).fit(Y, tol="0"), "tol"),
    ("KMeansEBM.fit lr", lambda: ec.KMeansEBM(2).fit(Y, method="gradient", lr="1"), "lr"),
    ("KMeansEBM.fit steps", lambda: ec.KMeansEBM(2).fit(Y, steps="3"), "steps"),
    ("latent.z_grid m", lambda: ec.latent.z_grid("8"), "m"),
    ("note_free_energy beta", lambda: ec.note_formulas.note_free_energy(Y, Y, "1"), "beta"),
    ("DAE hidden", lambda: ec.dae.DAE(2, hidden="8"), "hidden"),
    ("GaussianMixture stds", lambda: ec.data.GaussianMixture([[0.0]], ["1"], [1.0]), "stds"),
    ("sample_ellipse rho", lambda: ec.data.sample_ellipse(5, rho=["2", "1"]), "rho"),
    ("seed_everything seed", lambda: ec.seed_everything("0"), "seed"),
    ("kmeans_plusplus seed", lambda: ec.kmeans.kmeans_plusplus(Y, 2, seed="0"), "seed"),
]


@pytest.mark.parametrize(("call", "name"), [c[1:] for c in STRINGS], ids=[c[0] for c in STRINGS])
def test_numbers_given_as_strings_are_rejected_with_the_argument_named(call, name):
    with pytest.raises(TypeError, match=rf"\b{name} must be"):
        call()


# ------------------------------------------------------------------ integer tensors stay integer


@pytest.mark.parametrize("dtype", [torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8])
def test_an_integer_tensor_argument_stays_integer(dtype):
    tokens = torch.tensor([[0, 3, 1], [2, 2, 0]], dtype=dtype)
    out = _check.index_tensor(tokens, "tokens", ndim=2, high=4)
    assert out.dtype == torch.int64 and torch.equal(out, tokens.long())


@pytest.mark.parametrize(
    ("value", "exc", "match"),
    [
        (torch.tensor([0.0, 1.0]), TypeError, "tokens must hold integers"),
        (torch.tensor([True, False]), TypeError, "tokens must hold integers"),
        ([0, 1], TypeError, "tokens must be an integer torch.Tensor"),
        (torch.tensor([0, 4]), ValueError, r"tokens must hold values in \[0, 3\]"),
        (torch.tensor([-1, 0]), ValueError, r"tokens must hold values in \[0, 3\]"),
        (torch.tensor([[0, 1]]), ValueError, "tokens must have 1 dimension"),
    ],
)
def test_an_integer_tensor_argument_rejects_floats_bools_and_out_of_range_values(value, exc, match):
    with pytest.raises(exc, match=match):
        _check.index_tensor(value, "tokens", ndim=1, high=4)


def test_an_explorer_refuses_a_value_given_as_a_string():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    explorer = ec.Explorer(plt.figure(), lambda v: None, [0.0, 0.5, 1.0], label="x")
    assert explorer.clamp(0.4) == 0.5
    with pytest.raises(TypeError, match="value must be a number"):
        explorer.clamp("0.5")


def test_w_step_keeps_its_labels_integer_and_refuses_float_labels():
    y = torch.tensor([[0.0, 0.0], [2.0, 0.0]], dtype=torch.float64)
    W = torch.zeros(2, 2, dtype=torch.float64)
    assert torch.equal(ec.kmeans.w_step(y, torch.tensor([1, 1], dtype=torch.int32), W)[:, 1], y.mean(dim=0))
    with pytest.raises(TypeError, match="labels must hold integers"):
        ec.kmeans.w_step(y, torch.tensor([1.0, 1.0]), W)


# ------------------------------------------------------------------ where each kind of code lives


@pytest.mark.parametrize("module", ["energy", "latent", "kmeans", "_kmeans_fast", "dae", "train", "note_formulas"])
def test_algorithm_modules_draw_nothing(module):
    source = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
    assert "matplotlib" not in source and "draw_diagram" not in source


def test_the_moved_functions_live_in_one_place_only():
    assert callable(ec.diagram.latent_ebm) and callable(ec.diagram.kmeans_ebm) and callable(ec.diagram.dae)
    assert callable(ec.data.sample_ellipse) and not hasattr(ec.latent, "sample_ellipse")
    assert not hasattr(ec.energy, "nll_without_log") and not hasattr(ec.latent, "note_free_energy")
    for module in (ec.latent, ec.kmeans, ec.dae):
        assert not hasattr(module, "draw_diagram")


def test_latent_free_energy_is_ec_free_energy_of_the_table_of_energies():
    y, z, _ = _ellipse_problem()
    g = ec.latent.ellipse(z, torch.tensor([2.0, 1.0], dtype=torch.float64))
    for beta in (0.5, 4.0, math.inf):
        table = ec.latent.energies(y, g)
        assert torch.equal(ec.latent.free_energy(y, g, beta), ec.free_energy(table, beta, dim=-1))


def test_no_private_copy_of_the_argument_checks_is_left():
    for module in ("dae", "kmeans", "data", "latent"):
        source = (PACKAGE / f"{module}.py").read_text(encoding="utf-8")
        for helper in ("\ndef _sigma", "\ndef _drop", "\ndef _points", "\ndef _data", "float(noise)"):
            assert helper not in source, f"{module}.py: {helper}"
