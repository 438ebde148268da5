"""The denoising autoencoder: corruption, training, the energy ||y - dec(enc(y))||^2, bad input."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ebm_course import dae
from ebm_course.data import Spiral

matplotlib.use("Agg")


def _y(n=50, d=3, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ---------------------------------------------------------------- corrupt


def test_corrupt_adds_gaussian_noise_of_standard_deviation_sigma():
    y = torch.zeros(40000, 2, dtype=torch.float64)
    eps = dae.corrupt(y, 0.3, seed=1)
    assert abs(eps.std().item() - 0.3) < 0.005
    assert eps.mean().abs().max() < 0.01
    assert abs(torch.corrcoef(eps.T)[0, 1].item()) < 0.02


def test_corrupt_with_sigma_zero_and_no_mask_returns_an_equal_copy():
    y = _y()
    out = dae.corrupt(y, 0.0)
    assert torch.equal(out, y) and out.data_ptr() != y.data_ptr()


def test_corrupt_is_reproducible_from_a_seed_and_keeps_dtype_and_shape():
    y = _y().float()
    a, b = dae.corrupt(y, 0.5, p=0.3, seed=7), dae.corrupt(y, 0.5, p=0.3, seed=7)
    assert torch.equal(a, b) and a.dtype == torch.float32 and a.shape == y.shape
    assert not torch.equal(a, dae.corrupt(y, 0.5, p=0.3, seed=8))


def test_masking_noise_is_a_plain_mask_not_dropout():
    y = torch.rand(20000, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 0.5
    out = dae.corrupt(y, 0.0, p=0.4, seed=3)
    kept = out != 0
    assert torch.equal(out[kept], y[kept])  # no 1/(1-p) rescaling
    assert abs((~kept).double().mean().item() - 0.4) < 0.01
    assert abs(out.sum().item() / y.sum().item() - 0.6) < 0.01  # the ink falls to 1 - p


@settings(max_examples=30, deadline=None)
@given(
    sigma=st.floats(0.0, 10.0),
    p=st.floats(0.0, 0.99),
    n=st.integers(1, 20),
    d=st.integers(1, 5),
    seed=st.integers(0, 2**31),
)
def test_corrupt_is_finite_with_the_input_shape_and_masked_entries_only_where_p_allows(sigma, p, n, d, seed):
    y = _y(n, d, seed=seed % 1000)
    out = dae.corrupt(y, sigma, p=p, seed=seed)
    assert out.shape == y.shape and torch.isfinite(out).all()
    if sigma == 0 and p == 0:
        assert torch.equal(out, y)
    if sigma == 0:
        assert ((out == 0) | (out == y)).all()


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"sigma": -0.1}, ValueError, "sigma must be >= 0"),
        ({"sigma": math.nan}, ValueError, "sigma must be >= 0"),
        ({"sigma": math.inf}, ValueError, "sigma must be >= 0"),
        ({"sigma": "0.1"}, TypeError, "sigma must be a real number"),
        ({"sigma": torch.ones(2)}, TypeError, "sigma must be a single number"),
        ({"sigma": 0.1, "p": 1.0}, ValueError, r"p must be in \[0, 1\)"),
        ({"sigma": 0.1, "p": -0.2}, ValueError, r"p must be in \[0, 1\)"),
        ({"sigma": 0.1, "seed": -1}, ValueError, "seed must be >= 0"),
        ({"sigma": 0.1, "generator": 3}, TypeError, "generator must be a torch.Generator"),
    ],
)
def test_corrupt_rejects_bad_arguments_naming_them(kwargs, err, match):
    with pytest.raises(err, match=match):
        dae.corrupt(_y(), **kwargs)


@pytest.mark.parametrize(
    ("y", "err", "match"),
    [
        (torch.zeros(5), ValueError, "y must have 2 dimension"),
        (torch.zeros(2, 3, 4), ValueError, "y must have 2 dimension"),
        (torch.zeros(0, 2), ValueError, "y must not be empty"),
        (torch.tensor([[1.0, math.nan]]), ValueError, "y contains NaN"),
        (torch.tensor([[1.0, math.inf]]), ValueError, "y contains inf"),
        ("abc", TypeError, "y must be a torch.Tensor"),
    ],
)
def test_corrupt_rejects_bad_data(y, err, match):
    with pytest.raises(err, match=match):
        dae.corrupt(y, 0.1)


def test_corrupt_accepts_numpy_arrays():
    out = dae.corrupt(np.zeros((3, 2)), 1.0, seed=0)
    assert isinstance(out, torch.Tensor) and out.shape == (3, 2)


# ---------------------------------------------------------------- DAE


def test_energy_is_the_squared_reconstruction_error():
    model = dae.DAE(3, hidden=8, seed=1).double()
    y = _y(10, 3)
    with torch.no_grad():
        y_bar = model.decoder(model.encoder(y))
        assert torch.allclose(model.reconstruct(y), y_bar)
        assert torch.allclose(model.energy(y), ((y - y_bar) ** 2).sum(dim=1))
    assert model.energy(y).shape == (10,) and (model.energy(y) >= 0).all()


def test_initialisation_is_reproducible_and_leaves_the_global_generator_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = dae.DAE(2, hidden=4, seed=5)
    after = torch.rand(1)
    b = dae.DAE(2, hidden=4, seed=5)
    assert torch.equal(before, after)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_code_size_sets_the_bottleneck():
    model = dae.DAE(64, hidden=16, code=4)
    assert model.encoder(torch.zeros(1, 64)).shape == (1, 4)


def test_trained_dae_points_towards_the_manifold_and_its_energy_grows_about_quadratically():
    torch.manual_seed(0)
    spiral = Spiral()
    y = spiral.sample(600, seed=0)
    model = dae.DAE(2, hidden=64, seed=0).double()
    assert model.fit(y, 0.2, steps=600, lr=1e-2, batch_size=256, seed=0, progress=False) is model
    losses = model.history
    assert len(losses) == 600 and all(isinstance(v, float) for v in losses)
    assert np.mean(losses[-30:]) < 0.6 * np.mean(losses[:30])
    probe = dae.corrupt(spiral.sample(2000, seed=1), 0.2, seed=2)
    closest, dist = spiral.nearest(probe)
    with torch.no_grad():
        arrow = model.reconstruct(probe) - probe
        E = model.energy(probe)
    band = (dist > 0.1) & (dist < 0.4)
    cos = torch.nn.functional.cosine_similarity(arrow[band], (closest - probe)[band], dim=1).mean()
    assert cos > 0.85
    near = (dist > 0.05) & (dist < 0.3)
    slope = np.polyfit(dist[near].log().numpy(), E[near].log().numpy(), 1)[0]
    assert 1.5 < slope < 2.4


def test_large_noise_collapses_reconstructions_towards_the_mean():
    y = Spiral().sample(400, seed=0)
    model = dae.DAE(2, hidden=16, seed=0).double()
    model.fit(y, 3.0, steps=300, lr=2e-2, batch_size=200, seed=0, progress=False)
    with torch.no_grad():
        r = model.reconstruct(y)
    assert r.var(dim=0).sum() < 0.15 * y.var(dim=0).sum()
    assert (r.mean(dim=0) - y.mean(dim=0)).norm() < 0.2


def test_fit_with_masking_noise_denoises_better_than_the_masked_input():
    g = torch.Generator().manual_seed(0)
    basis = torch.rand(4, 16, generator=g, dtype=torch.float64)
    y = torch.rand(500, 4, generator=g, dtype=torch.float64) @ basis / 2  # a 4-dimensional subspace of R^16
    model = dae.DAE(16, hidden=32, code=8, seed=0).double()
    model.fit(y[:400], 0.0, p=0.3, steps=400, lr=5e-3, batch_size=100, seed=0, progress=False)
    noisy = dae.corrupt(y[400:], 0.0, p=0.3, seed=1)
    with torch.no_grad():
        err = (model.reconstruct(noisy) - y[400:]).square().sum(dim=1).mean()
    assert err < 0.5 * (noisy - y[400:]).square().sum(dim=1).mean()


def test_fit_is_reproducible_from_its_seed():
    y = _y(64, 2)
    runs = []
    for _ in range(2):
        m = dae.DAE(2, hidden=8, seed=0).double()
        runs.append(m.fit(y, 0.1, steps=20, seed=3, progress=False).history)
    assert runs[0] == runs[1]


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"sigma": -1.0}, ValueError, "sigma must be >= 0"),
        ({"sigma": 0.0}, ValueError, "sigma and p are both 0"),
        ({"sigma": 0.1, "p": 1.5}, ValueError, "p must be in"),
        ({"sigma": 0.1, "steps": 0}, ValueError, "steps must be >= 1"),
        ({"sigma": 0.1, "steps": 2.5}, TypeError, "steps must be an integer"),
        ({"sigma": 0.1, "lr": 0.0}, ValueError, "lr must be > 0"),
        ({"sigma": 0.1, "batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"sigma": 0.1, "seed": -3}, ValueError, "seed must be >= 0"),
        ({"sigma": "0.1"}, TypeError, "sigma must be a real number"),
        ({"sigma": 0.1, "p": "0.3"}, TypeError, "p must be a real number"),
        ({"sigma": 0.1, "lr": "0.01"}, TypeError, "lr must be a real number"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        dae.DAE(2, hidden=4).fit(_y(10, 2), progress=False, **kwargs)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (torch.zeros(5, 3), r"y must have shape \(n, 2\)"),
        (torch.zeros(0, 2), "y must not be empty"),
        (torch.zeros(4), "y must have 2 dimension"),
        (torch.tensor([[0.0, math.nan]]), "y contains NaN"),
    ],
)
def test_fit_energy_and_reconstruct_reject_bad_data(y, match):
    model = dae.DAE(2, hidden=4)
    with pytest.raises(ValueError, match=match):
        model.fit(y, 0.1, steps=1, progress=False)
    with pytest.raises(ValueError, match=match):
        model.energy(y)
    with pytest.raises(ValueError, match=match):
        model.reconstruct(y)


def test_fit_reports_divergence_instead_of_returning_nan():
    model = dae.DAE(2, hidden=4, seed=0).double()
    with pytest.raises(ValueError, match="diverged"):
        model.fit(_y(32, 2) * 1e200, 1.0, steps=30, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"d": 0}, ValueError, "d must be >= 1"),
        ({"d": 2, "hidden": 0}, ValueError, "hidden must be >= 1"),
        ({"d": 2, "code": 0}, ValueError, "code must be >= 1"),
        ({"d": 2.0}, TypeError, "d must be an integer"),
        ({"d": 2, "seed": -1}, ValueError, "seed must be >= 0"),
    ],
)
def test_dae_rejects_bad_sizes(kwargs, err, match):
    with pytest.raises(err, match=match):
        dae.DAE(**kwargs)
