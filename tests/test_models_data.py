"""ebm_course.models.RBFEnergy and ebm_course.data (Gaussian mixtures, integration grids)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ebm_course as ec
from ebm_course import data, models

FAST = settings(max_examples=30, deadline=None)


MIXTURE_1D = dict(means=[[-2.0], [1.5]], stds=[0.5, 0.8], weights=[0.4, 0.6])
MIXTURE_2D = dict(means=[[-1.0, 0.0], [1.0, 1.0], [0.0, -1.5]], stds=[0.4, 0.6, 0.5], weights=[0.2, 0.5, 0.3])


# ------------------------------------------------------------------------------------------- RBFEnergy


def test_rbf_energy_matches_its_closed_form():
    # E_W(y) = sum_j W_j exp(-||y - c_j||^2 / (2 width^2))
    centers = torch.tensor([[0.0, 0.0], [1.0, 2.0]], dtype=torch.float64)
    W = torch.tensor([2.0, -3.0], dtype=torch.float64)
    model = models.RBFEnergy(centers, 0.5, W0=W)
    y = torch.tensor([[0.0, 0.0], [1.0, 2.0], [0.5, -0.5]], dtype=torch.float64)
    expected = [
        2.0 - 3.0 * math.exp(-5 / 0.5),
        2.0 * math.exp(-5 / 0.5) - 3.0,
        2.0 * math.exp(-0.5 / 0.5) - 3.0 * math.exp(-(0.25 + 6.25) / 0.5),
    ]
    np.testing.assert_allclose(model(y).detach().numpy(), expected, rtol=1e-14)


@FAST
@given(
    W1=st.lists(st.floats(-5, 5), min_size=4, max_size=4),
    W2=st.lists(st.floats(-5, 5), min_size=4, max_size=4),
    a=st.floats(-3, 3),
)
def test_rbf_energy_is_linear_in_W(W1, W2, a):
    centers = torch.tensor([[-1.0], [0.0], [0.5], [2.0]], dtype=torch.float64)
    y = torch.linspace(-3, 3, 11, dtype=torch.float64)[:, None]
    W1, W2 = torch.tensor(W1, dtype=torch.float64), torch.tensor(W2, dtype=torch.float64)

    def E(W):
        return models.RBFEnergy(centers, 0.7, W0=W)(y).detach()

    torch.testing.assert_close(E(W1 + a * W2), E(W1) + a * E(W2), rtol=1e-12, atol=1e-12)


def test_rbf_features_are_in_zero_one_and_one_at_the_centres():
    centers, _ = data.grid_2d(-1, 1, 3)
    model = models.RBFEnergy(centers, 0.3)
    phi = model.features(centers)
    assert phi.shape == (9, 9)
    assert torch.all(phi > 0) and torch.all(phi <= 1)
    torch.testing.assert_close(torch.diagonal(phi), torch.ones(9, dtype=phi.dtype))


def test_rbf_energy_starts_flat_so_its_nll_is_the_log_of_the_grid_volume():
    # W = 0: E = 0 everywhere, the Gibbs density is uniform on the grid's box [-3, 3]^2
    model = models.RBFEnergy(torch.zeros(3, 2, dtype=torch.float64), 1.0)
    assert torch.equal(model.W.detach(), torch.zeros(3, dtype=torch.float64))
    grid, area = data.grid_2d(-3, 3, 20)
    y = torch.tensor([[0.0, 0.0], [2.0, -1.0]], dtype=torch.float64)
    assert ec.nll(model, y, grid, area).item() == pytest.approx(math.log(36.0), rel=1e-12)
    assert ec.nll(model, y, grid, area, beta=2.0).item() == pytest.approx(math.log(36.0) / 2, rel=1e-12)


def test_rbf_energy_W_is_the_only_trainable_parameter_and_gradient_reaches_it():
    model = models.RBFEnergy(torch.tensor([[0.0], [1.0]]), 0.5)
    assert [name for name, _ in model.named_parameters()] == ["W"]
    model(torch.tensor([[0.2], [0.9]])).sum().backward()
    torch.testing.assert_close(model.W.grad, model.features(torch.tensor([[0.2], [0.9]])).sum(0).detach())


def test_rbf_energy_follows_the_dtype_of_its_centres():
    m64 = models.RBFEnergy(torch.zeros(2, 1, dtype=torch.float64), 1.0)
    m32 = models.RBFEnergy(torch.zeros(2, 1, dtype=torch.float32), 1.0)
    y32 = torch.zeros(3, 1, dtype=torch.float32)
    assert m64(y32).dtype == torch.float64
    assert m32(y32).dtype == torch.float32
    assert m64(y32).shape == (3,)


def test_rbf_energy_copies_its_centres_and_W0():
    centers, W0 = torch.zeros(2, 1), torch.ones(2)
    model = models.RBFEnergy(centers, 1.0, W0=W0)
    centers += 5
    W0 += 5
    assert torch.equal(model.centers, torch.zeros(2, 1))
    assert torch.equal(model.W.detach(), torch.ones(2))


# ------------------------------------------------------------------------------------- GaussianMixture


def test_mixture_samples_have_the_right_shape_dtype_and_are_reproducible_from_the_seed():
    mix = data.GaussianMixture(**MIXTURE_2D)
    a, b, c = mix.sample(500, seed=7), mix.sample(500, seed=7), mix.sample(500, seed=8)
    assert a.shape == (500, 2) and a.dtype == torch.float64
    assert torch.equal(a, b)
    assert not torch.equal(a, c)
    assert mix.d == 2


def test_mixture_sampling_leaves_the_global_generator_alone():
    torch.manual_seed(0)
    expected = torch.randn(3)
    torch.manual_seed(0)
    data.GaussianMixture(**MIXTURE_1D).sample(100, seed=1)
    assert torch.equal(torch.randn(3), expected)


def test_mixture_sample_moments_match_the_closed_form():
    mix = data.GaussianMixture(**MIXTURE_1D)
    y = mix.sample(40000, seed=0)[:, 0]
    w, mu, s = np.array([0.4, 0.6]), np.array([-2.0, 1.5]), np.array([0.5, 0.8])
    mean = (w * mu).sum()
    var = (w * (s**2 + mu**2)).sum() - mean**2
    n = len(y)
    assert abs(y.mean().item() - mean) < 5 * math.sqrt(var / n)
    assert abs(y.var().item() - var) < 5 * var * math.sqrt(3 / n)  # generous: the mixture's kurtosis is modest


def test_single_gaussian_log_prob_matches_the_closed_form():
    mix = data.GaussianMixture([[1.0, -2.0]], [0.7], [1.0])
    y = torch.tensor([[1.0, -2.0], [0.0, 0.0], [3.0, 1.0]], dtype=torch.float64)
    sq = ((y - torch.tensor([1.0, -2.0], dtype=torch.float64)) ** 2).sum(1)
    expected = -math.log(2 * math.pi * 0.49) - sq / (2 * 0.49)
    torch.testing.assert_close(mix.log_prob(y), expected, rtol=1e-13, atol=1e-13)


def test_mixture_log_prob_is_the_log_of_the_weighted_sum_of_component_densities():
    mix = data.GaussianMixture(**MIXTURE_1D)
    y = np.linspace(-4, 4, 9)
    dens = sum(
        w * np.exp(-((y - m) ** 2) / (2 * s**2)) / math.sqrt(2 * math.pi * s**2)
        for w, m, s in zip([0.4, 0.6], [-2.0, 1.5], [0.5, 0.8], strict=True)
    )
    np.testing.assert_allclose(mix.log_prob(torch.from_numpy(y)[:, None]).numpy(), np.log(dens), rtol=1e-13)


@pytest.mark.parametrize(
    ("params", "grid"), [(MIXTURE_1D, data.grid_1d(-8, 8, 4000)), (MIXTURE_2D, data.grid_2d(-6, 6, 300))]
)
def test_mixture_density_integrates_to_one_on_a_fine_grid(params, grid):
    points, cell = grid
    mix = data.GaussianMixture(**params)
    assert (mix.log_prob(points).exp().sum() * cell).item() == pytest.approx(1.0, abs=1e-8)


def test_mixture_log_prob_accepts_numpy_and_float32():
    mix = data.GaussianMixture(**MIXTURE_1D)
    y = np.array([[0.0], [1.0]])
    torch.testing.assert_close(mix.log_prob(y), mix.log_prob(torch.tensor(y, dtype=torch.float32)))


# ---------------------------------------------------------------------------------------------- grids


@FAST
@given(lo=st.floats(-100, 100), width=st.floats(1e-3, 100), m=st.integers(2, 500))
def test_grid_1d_gives_m_equal_cells_whose_centres_cover_lo_hi(lo, width, m):
    hi = lo + width
    g, h = data.grid_1d(lo, hi, m)
    assert g.shape == (m, 1) and g.dtype == torch.float64
    assert h == pytest.approx((hi - lo) / m, rel=1e-12)
    assert m * h == pytest.approx(hi - lo, rel=1e-12)
    tol = 1e-9 * (abs(lo) + abs(hi))
    assert g[0, 0].item() == pytest.approx(lo + h / 2, abs=tol)
    assert g[-1, 0].item() == pytest.approx(hi - h / 2, abs=tol)
    np.testing.assert_allclose(np.diff(g[:, 0].numpy()), h, rtol=1e-6, atol=tol)


@FAST
@given(lo=st.floats(-10, 10), width=st.floats(0.1, 10), m=st.integers(2, 30))
def test_grid_2d_is_every_pair_of_the_1d_cell_centres_with_area_h_squared(lo, width, m):
    g1, h = data.grid_1d(lo, lo + width, m)
    g2, area = data.grid_2d(lo, lo + width, m)
    assert g2.shape == (m * m, 2)
    assert area == pytest.approx(h * h, rel=1e-12)
    pairs = {(a, b) for a in g1[:, 0].tolist() for b in g1[:, 0].tolist()}
    assert {tuple(p) for p in g2.tolist()} == pairs


def test_grid_1d_midpoint_rule_integrates_a_gaussian_to_one():
    g, h = data.grid_1d(-10, 10, 200)
    assert (torch.exp(-(g**2) / 2).sum() * h / math.sqrt(2 * math.pi)).item() == pytest.approx(1.0, abs=1e-12)


# ------------------------------------------------------------------------------------------ bad input

OK_MEANS, OK_STDS, OK_WEIGHTS = [[0.0], [1.0]], [1.0, 1.0], [0.5, 0.5]

BAD_INPUT = [
    # GaussianMixture
    ("weights sum != 1", lambda: data.GaussianMixture(OK_MEANS, OK_STDS, [0.5, 0.6]), ValueError, "weights"),
    ("weights negative", lambda: data.GaussianMixture(OK_MEANS, OK_STDS, [1.5, -0.5]), ValueError, "weights"),
    ("weights nan", lambda: data.GaussianMixture(OK_MEANS, OK_STDS, [math.nan, 1.0]), ValueError, "weights"),
    ("weights too few", lambda: data.GaussianMixture(OK_MEANS, OK_STDS, [1.0]), ValueError, "weights"),
    ("weights 2-D", lambda: data.GaussianMixture(OK_MEANS, OK_STDS, [[0.5, 0.5]]), ValueError, "weights"),
    ("stds zero", lambda: data.GaussianMixture(OK_MEANS, [1.0, 0.0], OK_WEIGHTS), ValueError, "stds"),
    ("stds negative", lambda: data.GaussianMixture(OK_MEANS, [-1.0, 1.0], OK_WEIGHTS), ValueError, "stds"),
    ("stds inf", lambda: data.GaussianMixture(OK_MEANS, [math.inf, 1.0], OK_WEIGHTS), ValueError, "stds"),
    ("stds too many", lambda: data.GaussianMixture(OK_MEANS, [1.0, 1.0, 1.0], OK_WEIGHTS), ValueError, "stds"),
    ("means 1-D", lambda: data.GaussianMixture([0.0, 1.0], OK_STDS, OK_WEIGHTS), ValueError, "means"),
    ("means nan", lambda: data.GaussianMixture([[0.0], [math.nan]], OK_STDS, OK_WEIGHTS), ValueError, "means"),
    ("means empty", lambda: data.GaussianMixture(torch.zeros(0, 1), [], []), ValueError, "means"),
    ("sample n=0", lambda: data.GaussianMixture(OK_MEANS, OK_STDS, OK_WEIGHTS).sample(0), ValueError, r"\bn\b"),
    ("sample n float", lambda: data.GaussianMixture(OK_MEANS, OK_STDS, OK_WEIGHTS).sample(2.5), TypeError, r"\bn\b"),
    (
        "log_prob columns",
        lambda: data.GaussianMixture(OK_MEANS, OK_STDS, OK_WEIGHTS).log_prob(torch.zeros(3, 2)),
        ValueError,
        r"\by\b",
    ),
    (
        "log_prob nan",
        lambda: data.GaussianMixture(OK_MEANS, OK_STDS, OK_WEIGHTS).log_prob(torch.tensor([[math.nan]])),
        ValueError,
        r"\by\b",
    ),
    # grids
    ("grid_1d lo == hi", lambda: data.grid_1d(1.0, 1.0, 10), ValueError, r"\blo\b"),
    ("grid_1d lo > hi", lambda: data.grid_1d(2.0, -1.0, 10), ValueError, r"\blo\b"),
    ("grid_1d hi inf", lambda: data.grid_1d(0.0, math.inf, 10), ValueError, r"\bhi\b"),
    ("grid_1d lo nan", lambda: data.grid_1d(math.nan, 1.0, 10), ValueError, r"\blo\b"),
    ("grid_1d lo str", lambda: data.grid_1d("zero", 1.0, 10), TypeError, r"\blo\b"),
    ("grid_1d m=1", lambda: data.grid_1d(0.0, 1.0, 1), ValueError, r"\bm\b"),
    ("grid_1d m=0", lambda: data.grid_1d(0.0, 1.0, 0), ValueError, r"\bm\b"),
    ("grid_1d m float", lambda: data.grid_1d(0.0, 1.0, 10.0), TypeError, r"\bm\b"),
    ("grid_1d numbers as strings", lambda: data.grid_1d("0", "1", 4), TypeError, r"\blo\b"),
    ("grid_2d lo >= hi", lambda: data.grid_2d(1.0, 0.0, 10), ValueError, r"\blo\b"),
    # sample_ellipse
    ("ellipse n=0", lambda: data.sample_ellipse(0), ValueError, "n must be >= 1"),
    ("ellipse noise < 0", lambda: data.sample_ellipse(5, noise=-0.1), ValueError, "noise must be"),
    ("ellipse noise nan", lambda: data.sample_ellipse(5, noise=math.nan), ValueError, "noise must be"),
    ("ellipse noise str", lambda: data.sample_ellipse(5, noise="0.1"), TypeError, "noise must be a real number"),
    ("ellipse x length", lambda: data.sample_ellipse(5, x=torch.ones(4)), ValueError, "x must hold one input"),
    ("ellipse seed < 0", lambda: data.sample_ellipse(5, seed=-1), ValueError, "seed must be >= 0"),
    ("ellipse rho 3", lambda: data.sample_ellipse(5, rho=(1.0, 2.0, 3.0)), ValueError, "rho must hold the two radii"),
    ("ellipse rho nan", lambda: data.sample_ellipse(5, rho=(1.0, math.nan)), ValueError, "rho contains NaN"),
    ("grid_2d m=1", lambda: data.grid_2d(0.0, 1.0, 1), ValueError, r"\bm\b"),
    # RBFEnergy
    *[
        (f"RBFEnergy width={w!r}", lambda w=w: models.RBFEnergy(torch.zeros(2, 1), w), ValueError, "width")
        for w in (0.0, -1.0, math.nan, math.inf)
    ],
    ("RBFEnergy width str", lambda: models.RBFEnergy(torch.zeros(2, 1), "1"), TypeError, "width"),
    ("RBFEnergy centers 1-D", lambda: models.RBFEnergy(torch.zeros(2), 1.0), ValueError, "centers"),
    ("RBFEnergy centers empty", lambda: models.RBFEnergy(torch.zeros(0, 2), 1.0), ValueError, "centers"),
    ("RBFEnergy centers nan", lambda: models.RBFEnergy(torch.tensor([[math.nan]]), 1.0), ValueError, "centers"),
    ("RBFEnergy centers inf", lambda: models.RBFEnergy(torch.tensor([[math.inf]]), 1.0), ValueError, "centers"),
    ("RBFEnergy centers str", lambda: models.RBFEnergy("centres", 1.0), TypeError, "centers"),
    ("RBFEnergy W0 length", lambda: models.RBFEnergy(torch.zeros(2, 1), 1.0, W0=torch.zeros(3)), ValueError, "W0"),
    (
        "RBFEnergy W0 nan",
        lambda: models.RBFEnergy(torch.zeros(1, 1), 1.0, W0=torch.tensor([math.nan])),
        ValueError,
        "W0",
    ),
    ("RBFEnergy y columns", lambda: models.RBFEnergy(torch.zeros(2, 2), 1.0)(torch.zeros(3, 1)), ValueError, r"\by\b"),
    ("RBFEnergy y 1-D", lambda: models.RBFEnergy(torch.zeros(2, 1), 1.0)(torch.zeros(3)), ValueError, r"\by\b"),
    ("RBFEnergy y list", lambda: models.RBFEnergy(torch.zeros(2, 1), 1.0)([[0.0]]), ValueError, r"\by\b"),
]


@pytest.mark.parametrize(("call", "exc", "name"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_raises_an_error_naming_the_argument(call, exc, name):
    with pytest.raises(exc, match=name):
        call()


# --- Spiral -------------------------------------------------------------------------------------


def test_spiral_samples_lie_within_a_few_noise_widths_of_the_curve():
    s = ec.data.Spiral(noise=0.05)
    y = s.sample(5000, seed=3)
    assert y.shape == (5000, 2) and y.dtype == torch.float64
    _, dist = s.nearest(y)
    # the distance to the curve is |N(0, 0.05^2)| along the normal: mean 0.05 * sqrt(2/pi)
    assert abs(dist.mean().item() - 0.05 * math.sqrt(2 / math.pi)) < 0.004
    assert dist.max().item() < 6 * 0.05


def test_spiral_without_noise_lies_on_the_curve_and_is_reproducible():
    s = ec.data.Spiral(noise=0.0)
    a, b = s.sample(300, seed=7), s.sample(300, seed=7)
    assert torch.equal(a, b) and not torch.equal(a, s.sample(300, seed=8))
    _, dist = s.nearest(a, m=20000)
    assert dist.max().item() < 1e-3


def test_spiral_samples_are_uniform_along_the_arc_length():
    s = ec.data.Spiral(noise=0.0)
    y = s.sample(20000, seed=0)
    c = s.curve(4097)
    seg = (c[1:] - c[:-1]).norm(dim=1)
    cum = torch.cat([torch.zeros(1, dtype=torch.float64), seg.cumsum(0)])
    idx = torch.cdist(y, c).argmin(dim=1)
    frac = cum[idx] / cum[-1]
    counts = torch.histc(frac, bins=10, min=0, max=1)
    assert (counts / 20000 - 0.1).abs().max().item() < 0.015


def test_spiral_curve_goes_from_r0_to_r1():
    s = ec.data.Spiral(turns=2.0, r0=0.5, r1=1.5)
    c = s.curve(100)
    r = c.norm(dim=1)
    assert r[0].item() == pytest.approx(0.5) and r[-1].item() == pytest.approx(1.5)
    assert (r[1:] > r[:-1]).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"turns": 0}, "turns"),
        ({"r0": -1}, "r0"),
        ({"r0": 2.0, "r1": 1.0}, "r1"),
        ({"noise": -0.1}, "noise"),
        ({"noise": float("nan")}, "noise"),
    ],
)
def test_spiral_rejects_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ec.data.Spiral(**kwargs)


def test_spiral_rejects_numbers_given_as_strings():
    with pytest.raises(TypeError, match="noise must be a real number"):
        ec.data.Spiral(noise="0.1")
    with pytest.raises(TypeError, match="turns must be a real number"):
        ec.data.Spiral(turns="1.5")


# --- the ellipse of chapter 3 ---------------------------------------------------------------------


def test_sample_ellipse_is_reproducible_and_noise_free_points_lie_on_it():
    y1, t1 = ec.data.sample_ellipse(50, noise=0.1, seed=3)
    y2, t2 = ec.data.sample_ellipse(50, noise=0.1, seed=3)
    assert torch.equal(y1, y2) and torch.equal(t1, t2)
    y0, _ = ec.data.sample_ellipse(50, rho=(2.0, 1.0), noise=0.0, seed=3)
    assert torch.allclose((y0[:, 0] / 2) ** 2 + y0[:, 1] ** 2, torch.ones(50, dtype=torch.float64))
    yx, _ = ec.data.sample_ellipse(4, noise=0.0, x=torch.full((4,), 2.0), seed=1)
    assert torch.allclose((yx[:, 0] / 4) ** 2 + (yx[:, 1] / 2) ** 2, torch.ones(4, dtype=torch.float64))


def test_spiral_rejects_bad_sample_and_nearest_arguments():
    s = ec.data.Spiral()
    with pytest.raises(ValueError, match="n"):
        s.sample(0)
    with pytest.raises(ValueError, match="seed"):
        s.sample(5, seed=-1)
    with pytest.raises(ValueError, match="y"):
        s.nearest(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="y"):
        s.nearest(torch.tensor([[float("nan"), 0.0]]))
    with pytest.raises(ValueError, match="m"):
        s.curve(1)


# --- Gaussian mixture: float32 weights, seeds -------------------------------------------------


def test_gaussian_mixture_accepts_float32_weights_that_sum_to_one():
    weights = torch.softmax(torch.tensor([0.3, 1.1, -0.4]), 0)
    mix = data.GaussianMixture([[0.0], [1.0], [2.0]], [0.5, 0.5, 0.5], weights)
    assert mix.sample(5, seed=0).shape == (5, 1)


@pytest.mark.parametrize("seed", [None, 1.7, -1, 2**63])
def test_gaussian_mixture_sample_rejects_bad_seeds_by_name(seed):
    mix = data.GaussianMixture([[0.0]], [1.0], [1.0])
    with pytest.raises((TypeError, ValueError), match="seed"):
        mix.sample(3, seed=seed)
