"""ebm_course.latent: the ellipse decoder, F_inf and F_beta over a latent, inference, learning."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ebm_course as ec
from ebm_course import latent

matplotlib.use("Agg")
W = torch.tensor([2.0, 1.0], dtype=torch.float64)


# ------------------------------------------------------------------ decoder and data


def test_z_grid_is_evenly_spaced_in_zero_to_two_pi():
    z = latent.z_grid(8)
    assert z.dtype == torch.float64 and z[0] == 0 and z[-1] < 2 * math.pi
    assert torch.allclose(z.diff(), torch.full((7,), 2 * math.pi / 8, dtype=torch.float64))


def test_ellipse_points_satisfy_the_ellipse_equation():
    g = latent.ellipse(latent.z_grid(64), W)
    assert g.shape == (64, 2)
    assert torch.allclose((g[:, 0] / 2) ** 2 + g[:, 1] ** 2, torch.ones(64, dtype=torch.float64))


def test_conditional_ellipse_scales_the_radii_by_x():
    z = latent.z_grid(16)
    x = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    g = latent.ellipse(z, W, x=x)
    assert g.shape == (3, 16, 2)
    for i in range(3):
        assert torch.allclose(g[i], x[i] * latent.ellipse(z, W))


# ------------------------------------------------------------------ energies and free energy


def test_energies_are_squared_distances_to_each_prediction():
    y = torch.tensor([[0.0, 0.0], [2.0, 0.0]], dtype=torch.float64)
    g = torch.tensor([[2.0, 0.0], [0.0, 1.0], [-2.0, 0.0]], dtype=torch.float64)
    E = latent.energies(y, g)
    assert torch.allclose(E, torch.tensor([[4.0, 1.0, 4.0], [0.0, 5.0, 16.0]], dtype=torch.float64))
    assert torch.allclose(latent.energies(y, g.expand(2, 3, 2)), E)


def test_free_energy_at_infinite_beta_is_the_distance_to_the_curve_squared():
    z = latent.z_grid(720)
    y = torch.tensor([[0.0, 0.0], [3.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    F = latent.free_energy(y, latent.ellipse(z, W))
    assert torch.allclose(F, torch.tensor([1.0, 1.0, 1.0], dtype=torch.float64), atol=1e-9)


def test_free_energy_tends_to_the_mean_energy_as_beta_tends_to_zero():
    z = latent.z_grid(256)
    y = torch.tensor([[0.5, -0.3], [2.5, 1.5]], dtype=torch.float64)
    F = latent.free_energy(y, latent.ellipse(z, W), beta=1e-6)
    closed_form = (y**2).sum(1) + (W**2).sum() / 2
    assert torch.allclose(F, closed_form, rtol=1e-5)


def test_free_energy_tends_to_the_minimum_as_beta_grows():
    z = latent.z_grid(256)
    y = torch.tensor([[0.5, -0.3], [2.5, 1.5]], dtype=torch.float64)
    g = latent.ellipse(z, W)
    assert torch.allclose(latent.free_energy(y, g, beta=1e6), latent.free_energy(y, g), atol=1e-4)


def test_note_free_energy_differs_by_log_measure_over_beta_and_runs_to_minus_infinity():
    z = latent.z_grid(128)
    y = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    g = latent.ellipse(z, W)
    for beta in (1e-3, 1.0, 50.0):
        gap = latent.free_energy(y, g, beta) - ec.note_formulas.note_free_energy(y, g, beta)
        assert torch.allclose(gap, torch.tensor([math.log(2 * math.pi) / beta], dtype=torch.float64))
    assert ec.note_formulas.note_free_energy(y, g, 1e-6).item() < -1e6


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-3, 3), min_size=2, max_size=2),
    st.floats(0.2, 3),
    st.floats(0.2, 3),
    st.floats(1e-3, 1e3),
    st.floats(1e-3, 1e3),
)
def test_free_energy_lies_between_min_and_mean_and_never_increases_with_beta(y, w1, w2, b1, b2):
    y = torch.tensor([y], dtype=torch.float64)
    g = latent.ellipse(latent.z_grid(64), torch.tensor([w1, w2], dtype=torch.float64))
    E = latent.energies(y, g)
    lo, hi = sorted((b1, b2))
    F_lo, F_hi = latent.free_energy(y, g, lo), latent.free_energy(y, g, hi)
    assert (E.min(1).values - 1e-9 <= F_hi).all() and (F_hi <= F_lo + 1e-9).all() and (F_lo <= E.mean(1) + 1e-9).all()


@settings(max_examples=30, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 2), st.floats(0.01, 100))
def test_free_energy_is_invariant_to_the_order_of_the_latents(a, b, beta):
    z = latent.z_grid(32)
    perm = torch.randperm(32, generator=torch.Generator().manual_seed(0))
    y = torch.tensor([[a, b]], dtype=torch.float64)
    F1 = latent.free_energy(y, latent.ellipse(z, W), beta)
    F2 = latent.free_energy(y, latent.ellipse(z[perm], W), beta)
    assert torch.allclose(F1, F2, atol=1e-12)


# ------------------------------------------------------------------ inference


def test_infer_grid_returns_the_latent_of_least_energy():
    z = latent.z_grid(360)
    theta = torch.tensor([0.3, 2.0, 4.5], dtype=torch.float64)
    y = latent.ellipse(theta, W)
    z_check, F = latent.infer_grid(y, z, latent.ellipse(z, W))
    assert torch.allclose(z_check, theta, atol=2 * math.pi / 360)
    assert (F < 1e-3).all()


def test_gradient_descent_gets_stuck_where_exhaustive_search_does_not():
    z = latent.z_grid(256)
    y = torch.tensor([[0.3, 0.9]], dtype=torch.float64)
    _, F_grid = latent.infer_grid(y, z, latent.ellipse(z, W))
    z_gd, E_gd = latent.infer_gd(y, lambda t: latent.ellipse(t, W), torch.tensor([4.3]), steps=60, lr=0.05)
    assert E_gd.item() > 100 * F_grid.item()
    assert abs(math.sin(z_gd.item()) + 1) < 0.05  # the bottom of the ellipse: the far side
    z_ok, E_ok = latent.infer_gd(y, lambda t: latent.ellipse(t, W), torch.tensor([2.5]), steps=60, lr=0.05)
    assert abs(E_ok.item() - F_grid.item()) < 1e-3


def test_infer_gd_returns_the_path_and_works_with_a_vector_latent():
    y = torch.tensor([[1.0, 2.0], [-1.0, 0.5]], dtype=torch.float64)
    A = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    z, E, path = latent.infer_gd(y, lambda t: t @ A.T, torch.zeros(2, 2), steps=200, lr=0.1, return_path=True)
    assert path.shape == (201, 2, 2) and torch.equal(path[-1], z)
    assert torch.allclose(z @ A.T, y, atol=1e-6) and (E < 1e-10).all()


# ------------------------------------------------------------------ learning


def test_fit_decoder_recovers_the_radii_of_the_ellipse():
    y, _ = ec.data.sample_ellipse(200, rho=(2.0, 1.0), noise=0.05, seed=2)
    z = latent.z_grid(128)
    w = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    losses = latent.fit_decoder(y, lambda: latent.ellipse(z, w), [w], steps=150, lr=0.05, progress=False)
    assert (w.detach() - W).abs().max() < 0.03 and losses[-1] < 0.1 * losses[0]


def test_fit_decoder_with_a_flexible_decoder_flattens_the_energy():
    y, _ = ec.data.sample_ellipse(100, noise=0.1, seed=2)
    side = torch.linspace(-1, 1, 21, dtype=torch.float64)
    Z = torch.cartesian_prod(side, side)
    A = (0.3 * torch.eye(2, dtype=torch.float64)).requires_grad_(True)
    latent.fit_decoder(y, lambda: Z @ A.T, [A], steps=150, lr=0.05, progress=False)
    centre = torch.tensor([[0.0, 0.3], [0.5, 0.0]], dtype=torch.float64)
    assert (latent.free_energy(centre, (Z @ A.T).detach()) < 0.05).all()


def test_fit_decoder_with_finite_beta_also_runs():
    y, _ = ec.data.sample_ellipse(50, noise=0.05, seed=2)
    z = latent.z_grid(64)
    w = torch.tensor([1.5, 1.5], dtype=torch.float64, requires_grad=True)
    losses = latent.fit_decoder(y, lambda: latent.ellipse(z, w), [w], beta=20.0, steps=20, lr=0.05, progress=False)
    assert len(losses) == 20 and losses[-1] < losses[0]


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: latent.z_grid(0), ValueError, "m must be >= 1"),
        (lambda: latent.z_grid(2.5), TypeError, "m must be an integer"),
        (lambda: latent.ellipse(torch.zeros(3), torch.ones(3)), ValueError, "w must hold the two radii"),
        (lambda: latent.ellipse(torch.zeros(3, 1), W), ValueError, "z must have 1 dimension"),
        (lambda: latent.ellipse(torch.tensor([float("nan")]), W), ValueError, "z contains NaN"),
        (lambda: latent.ellipse(torch.zeros(3), W, x=torch.ones(2, 2)), ValueError, "x must have 1"),
        (lambda: latent.energies(torch.zeros(3), torch.zeros(2, 2)), ValueError, "y must have 2"),
        (lambda: latent.energies(torch.zeros(3, 2), torch.zeros(2, 3)), ValueError, "y_tilde must be"),
        (lambda: latent.energies(torch.zeros(3, 2), torch.zeros(4, 2, 2)), ValueError, "y_tilde must be"),
        (lambda: latent.energies(torch.zeros(3, 2), torch.zeros(2)), ValueError, "y_tilde must have 2 or 3"),
        (lambda: latent.energies(torch.zeros(0, 2), torch.zeros(2, 2)), ValueError, "y must not be empty"),
        (lambda: latent.energies(torch.full((1, 2), float("inf")), torch.zeros(2, 2)), ValueError, "y contains inf"),
        (lambda: latent.energies("y", torch.zeros(2, 2)), TypeError, "y must be a torch.Tensor"),
        (lambda: latent.free_energy(torch.zeros(1, 2), torch.zeros(2, 2), beta=0), ValueError, "beta must be > 0"),
        (lambda: latent.free_energy(torch.zeros(1, 2), torch.zeros(2, 2), beta=-1), ValueError, "beta must be > 0"),
        (
            lambda: ec.note_formulas.note_free_energy(torch.zeros(1, 2), torch.zeros(2, 2), math.inf),
            ValueError,
            "beta must be",
        ),
        (
            lambda: ec.note_formulas.note_free_energy(torch.zeros(1, 2), torch.zeros(2, 2), 1.0, z_measure=0),
            ValueError,
            "z_measure must be > 0",
        ),
        (lambda: latent.infer_grid(torch.zeros(1, 2), torch.zeros(3), torch.zeros(2, 2)), ValueError, "z must hold"),
        (lambda: latent.infer_gd(torch.zeros(2, 2), "g", torch.zeros(2)), TypeError, "decoder must be callable"),
        (lambda: latent.infer_gd(torch.zeros(2, 2), lambda t: t, torch.zeros(3)), ValueError, "z0 must hold"),
        (
            lambda: latent.infer_gd(torch.zeros(2, 2), lambda t: t, torch.zeros(2)),
            ValueError,
            "decoder must map z0 to predictions",
        ),
        (lambda: latent.infer_gd(torch.zeros(2, 2), lambda t: t, torch.zeros(2, 2), lr=0), ValueError, "lr must be"),
        (lambda: latent.infer_gd(torch.zeros(2, 2), lambda t: t, torch.zeros(2, 2), steps=-1), ValueError, "steps"),
        (
            lambda: latent.infer_gd(torch.ones(1, 1), lambda t: t**3, torch.full((1, 1), 3.0), steps=50, lr=10.0),
            ValueError,
            "diverged",
        ),
        (
            lambda: latent.fit_decoder(torch.zeros(2, 2), lambda: torch.zeros(2, 2), W),
            TypeError,
            "params must be a list",
        ),
        (lambda: latent.fit_decoder(torch.zeros(2, 2), lambda: torch.zeros(2, 2), [W]), ValueError, "params must be"),
        (lambda: latent.fit_decoder(torch.zeros(2, 2), None, [W]), TypeError, "decode must be callable"),
        (
            lambda: latent.fit_decoder(torch.zeros(2, 2), lambda: "g", [W.clone().requires_grad_(True)]),
            TypeError,
            "decode must return",
        ),
    ],
)
def test_bad_input_raises_an_error_that_names_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_energies_accept_float32_data_against_a_float64_grid():
    z = latent.z_grid(64)
    y32 = torch.tensor([[0.3, 0.9], [2.0, 0.0]], dtype=torch.float32)
    g = latent.ellipse(z, W)
    E = latent.energies(y32, g)
    assert E.dtype == torch.float64 and torch.allclose(E, latent.energies(y32.double(), g))
    z_check, F = latent.infer_grid(y32, z, g)
    assert z_check.shape == (2,) and torch.isfinite(F).all()


def test_fit_decoder_stops_with_an_error_when_the_parameters_blow_up():
    y, _ = ec.data.sample_ellipse(20, noise=0.1, seed=2)
    z = latent.z_grid(16)
    w = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    with pytest.raises(ValueError, match="diverged at step"):
        latent.fit_decoder(y, lambda: latent.ellipse(z, w), [w], steps=3, lr=1e308, progress=False)


def test_fit_decoder_rejects_bad_steps_lr_and_beta():
    w = torch.ones(2, dtype=torch.float64, requires_grad=True)
    y = torch.zeros(3, 2, dtype=torch.float64)
    z = latent.z_grid(8)
    with pytest.raises(ValueError, match="steps must be >= 1"):
        latent.fit_decoder(y, lambda: latent.ellipse(z, w), [w], steps=0, progress=False)
    with pytest.raises(ValueError, match="lr must be"):
        latent.fit_decoder(y, lambda: latent.ellipse(z, w), [w], lr=-1.0, progress=False)
    with pytest.raises(ValueError, match="beta must be"):
        latent.fit_decoder(y, lambda: latent.ellipse(z, w), [w], beta=float("nan"), progress=False)
