"""ebm_course.energy: the Gibbs distribution, the free energy, the NLL, its gradient, and the ML fit.

Closed forms and property tests; every bad input must raise an error that names the argument.
"""

from __future__ import annotations

import math

import hypothesis.extra.numpy as hnp
import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ebm_course as ec
from ebm_course import data, energy, models

FAST = settings(max_examples=40, deadline=None)

DTYPES = [torch.float32, torch.float64]
DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


def energies(lo=-100.0, hi=100.0, min_size=1, max_size=8):
    """1-D float64 arrays of energies."""
    return hnp.arrays(
        np.float64,
        st.integers(min_size, max_size),
        elements=st.floats(lo, hi, allow_nan=False, allow_infinity=False),
    )


def log_uniform(lo, hi):
    return st.floats(math.log10(lo), math.log10(hi)).map(lambda e: 10.0**e)


def np_softmax(x, axis):
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def mp_free_energy(E, beta):
    """-(1/beta) log mean exp(-beta E) in 80-digit arithmetic."""
    with mpmath.workdps(80):
        Es = [mpmath.mpf(float(e)) for e in E]
        b = mpmath.mpf(beta)
        m = min(Es)
        s = mpmath.fsum(mpmath.exp(-b * (e - m)) for e in Es) / len(Es)
        return float(m - mpmath.log(s) / b)


# ----------------------------------------------------------------------------------------------- gibbs


@FAST
@given(
    E=hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
        elements=st.floats(-50, 50),
    ),
    beta=log_uniform(1e-3, 1e3),
    data=st.data(),
)
def test_gibbs_sums_to_one_along_any_dim_of_multidim_input(E, beta, data):
    dim = data.draw(st.integers(-E.ndim, E.ndim - 1))
    P = ec.gibbs(torch.from_numpy(E), beta, dim=dim)
    assert P.shape == E.shape
    assert torch.all(P >= 0) and torch.all(P <= 1)
    torch.testing.assert_close(P.sum(dim=dim), torch.ones_like(P.sum(dim=dim)), rtol=0, atol=1e-12)


@FAST
@given(
    E=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-50, 50)),
    beta=log_uniform(1e-3, 1e2),
    data=st.data(),
)
def test_gibbs_equals_softmax_of_minus_beta_E(E, beta, data):
    dim = data.draw(st.integers(-E.ndim, E.ndim - 1))
    P = ec.gibbs(torch.from_numpy(E), beta, dim=dim)
    np.testing.assert_allclose(P.numpy(), np_softmax(-beta * E, axis=dim), rtol=1e-12, atol=1e-300)
    torch.testing.assert_close(P, torch.softmax(-beta * torch.from_numpy(E), dim=dim))


def test_gibbs_closed_form_of_two_states_is_a_logistic():
    # P(y=0) = 1 / (1 + exp(-beta (E1 - E0)))
    for beta, gap in [(1.0, 1.0), (0.3, 2.5), (4.0, -0.7)]:
        P = ec.gibbs(torch.tensor([0.0, gap], dtype=torch.float64), beta)
        assert P[0].item() == pytest.approx(1 / (1 + math.exp(-beta * gap)), rel=1e-14)


@FAST
@given(E=energies(), c=st.floats(-1000, 1000), beta=log_uniform(1e-2, 10))
def test_gibbs_is_invariant_to_adding_a_constant_to_E(E, c, beta):
    E = torch.from_numpy(E)
    torch.testing.assert_close(ec.gibbs(E + c, beta), ec.gibbs(E, beta), rtol=1e-9, atol=1e-12)


@FAST
@given(E=energies(-1e6, 1e6, max_size=10), dtype=st.sampled_from(DTYPES))
def test_gibbs_tends_to_uniform_as_beta_tends_to_zero(E, dtype):
    P = ec.gibbs(torch.from_numpy(E).to(dtype), 1e-12)  # |beta E| <= 1e-6
    torch.testing.assert_close(P, torch.full_like(P, 1 / len(E)), rtol=1e-5, atol=0)


@FAST
@given(
    E=hnp.arrays(np.int64, st.integers(2, 10), elements=st.integers(-1000, 1000), unique=True),
    dtype=st.sampled_from(DTYPES),
)
def test_gibbs_concentrates_on_the_argmin_for_large_beta(E, dtype):
    # distinct integer energies: the gap to the minimum is >= 1, so beta = 100 leaves < 10 e^-100 elsewhere
    P = ec.gibbs(torch.from_numpy(E).to(dtype), 100.0)
    assert P.argmax().item() == int(E.argmin())
    assert P[int(E.argmin())].item() == pytest.approx(1.0, abs=1e-6)
    assert P.sum().item() - P.max().item() < 1e-6


@pytest.mark.parametrize("dtype", DTYPES)
@FAST
@given(E=energies(-1e6, 1e6, max_size=10), beta=log_uniform(1e-6, 1e6))
def test_gibbs_is_finite_and_correct_for_energies_and_beta_up_to_1e6(dtype, E, beta):
    Et = torch.from_numpy(E).to(dtype)
    P = ec.gibbs(Et, beta)
    assert P.dtype == dtype
    assert torch.isfinite(P).all()
    # reference: float64, for the energies exactly as the dtype holds them, shifted by the min before scaling
    E64 = Et.double().numpy()
    ref = np_softmax(-beta * (E64 - E64.min()), axis=-1)
    rtol, atol = (2e-5, 1e-30) if dtype == torch.float32 else (1e-12, 1e-300)
    np.testing.assert_allclose(P.double().numpy(), ref, rtol=rtol, atol=atol)
    assert P.sum().item() == pytest.approx(1.0, abs=10 * torch.finfo(dtype).eps)


def test_gibbs_keeps_small_energy_differences_at_large_energies_in_float32():
    # regression: softmax(-beta * E) rounds -beta*E to a spacing of 0.25 here, and P[0] came out 8 % off
    beta = math.sqrt(10)
    P = ec.gibbs(torch.tensor([-999518.0, -999519.0], dtype=torch.float32), beta)
    expected = [1 / (1 + math.exp(beta)), 1 / (1 + math.exp(-beta))]
    np.testing.assert_allclose(P.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gibbs_extreme_energies_and_beta_give_exact_one_hot(dtype):
    E = torch.tensor([1e6, -1e6, 0.0, 5e5], dtype=dtype)
    P = ec.gibbs(E, 1e6)
    assert P.tolist() == [0.0, 1.0, 0.0, 0.0]
    # and the other way round, beta tiny: uniform to first order, exact logistic weights
    P = ec.gibbs(E, 1e-6)
    ref = np_softmax(-1e-6 * E.double().numpy(), axis=-1)
    np.testing.assert_allclose(P.double().numpy(), ref, rtol=1e-6)


def test_gibbs_accepts_numpy_and_lists_and_returns_a_tensor():
    E = np.array([0.0, 1.0, 2.0])
    P = ec.gibbs(E, 1.0)
    assert isinstance(P, torch.Tensor) and P.dtype == torch.float64
    torch.testing.assert_close(P, ec.gibbs(torch.from_numpy(E), 1.0))
    assert isinstance(ec.gibbs([0, 1, 2], 1.0), torch.Tensor)
    assert isinstance(ec.free_energy(E, 1.0), torch.Tensor)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_gibbs_and_free_energy_follow_the_device_and_dtype_of_the_input(device, dtype):
    E = torch.tensor([[0.0, 1.0, 2.0], [3.0, 1.0, 0.5]], dtype=dtype, device=device)
    for out in (ec.gibbs(E, 2.0), ec.free_energy(E, 2.0), ec.free_energy(E)):
        assert out.device == E.device
        assert out.dtype == dtype


def test_gibbs_does_not_modify_its_input():
    E = torch.tensor([3.0, 1.0, 2.0])
    ec.gibbs(E, 5.0)
    ec.free_energy(E, 5.0)
    assert E.tolist() == [3.0, 1.0, 2.0]


# ----------------------------------------------------------------------------------------- free energy


@FAST
@given(
    E=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=5), elements=st.floats(-1e6, 1e6)),
    data=st.data(),
)
def test_free_energy_at_infinite_beta_is_the_min(E, data):
    dim = data.draw(st.integers(-E.ndim, E.ndim - 1))
    Et = torch.from_numpy(E)
    expected = torch.from_numpy(np.asarray(E.min(axis=dim)))
    assert torch.equal(ec.free_energy(Et, dim=dim), expected)
    assert torch.equal(ec.free_energy(Et, math.inf, dim=dim), expected)
    assert torch.equal(ec.free_energy(Et, float("inf"), dim=dim), expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_free_energy_tends_to_mean_as_beta_tends_to_zero(dtype):
    E = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=dtype)
    F = ec.free_energy(E, 1e-9).item()
    assert F == pytest.approx(1.5, rel=1e-6)
    E = torch.tensor([[-7.0, 40.0, 1.5], [100.0, 100.0, 0.0]], dtype=dtype)
    torch.testing.assert_close(ec.free_energy(E, 1e-9), E.mean(dim=-1), rtol=1e-6, atol=0)


@FAST
@given(E=energies(-100, 100, min_size=2), beta=log_uniform(1e-12, 1e-6))
def test_free_energy_at_small_beta_matches_its_cumulant_expansion(E, beta):
    # F = mean - beta var/2 + beta^2 k3/6 - O(beta^3): the deviation from the mean is exact to 0.1 %.
    # A naive logsumexp(x) - log|Z| loses this term entirely to rounding at such small beta.
    F = ec.free_energy(torch.from_numpy(E), beta).item()
    c = E - E.mean()
    var, k3 = (c**2).mean(), (c**3).mean()
    deviation = beta * var / 2 - beta**2 * k3 / 6
    assert E.mean() - F == pytest.approx(deviation, rel=1e-3, abs=1e-13 * (1 + abs(E).max()))


@FAST
@given(E=energies(-100, 100), c=st.floats(-100, 100))
def test_free_energy_tends_to_min_as_beta_grows(E, c):
    # closed-form bound: min E <= F_beta <= min E + log|Z| / beta
    Et = torch.from_numpy(E)
    for beta in (1e2, 1e4, 1e6):
        F = ec.free_energy(Et, beta).item()
        assert E.min() <= F <= E.min() + math.log(len(E)) / beta + 1e-12 * (1 + abs(E).max())


@FAST
@given(
    E=energies(-1e3, 1e3, min_size=2),
    betas=st.lists(log_uniform(1e-9, 1e6), min_size=2, max_size=8),
    dtype=st.sampled_from(DTYPES),
)
def test_free_energy_is_non_increasing_in_beta(E, betas, dtype):
    Et = torch.from_numpy(E).to(dtype)
    betas = sorted(betas) + [math.inf]
    F = [ec.free_energy(Et, b).item() for b in betas]
    eps = torch.finfo(dtype).eps
    tol = 4 * eps * (1 + abs(E).max())
    for i in range(len(betas) - 1):
        assert F[i + 1] <= F[i] + tol, f"F({betas[i + 1]}) = {F[i + 1]} > F({betas[i]}) = {F[i]}"


@FAST
@given(
    E=hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=2, max_side=6), elements=st.floats(-1e6, 1e6)),
    beta=log_uniform(1e-9, 1e6),
    dtype=st.sampled_from(DTYPES),
)
def test_free_energy_lies_between_min_and_mean(E, beta, dtype):
    Et = torch.from_numpy(E).to(dtype)
    F = ec.free_energy(Et, beta)
    assert torch.all(F >= Et.amin(dim=-1))
    # the mean as float64 computes it, with an ulp of slack: the dtype's own mean rounds (past the min, even)
    exact_mean = Et.double().mean(dim=-1)
    slack = torch.finfo(dtype).eps * float(np.abs(E).max(initial=0.0)) + torch.finfo(dtype).tiny
    assert torch.all(F.double() <= torch.maximum(exact_mean, Et.double().amin(dim=-1)) + slack)


@FAST
@given(
    c=st.floats(-1e6, 1e6),
    n=st.integers(1, 9),
    beta=st.one_of(log_uniform(1e-9, 1e6), st.just(math.inf)),
    dtype=st.sampled_from(DTYPES),
)
def test_free_energy_of_equal_energies_is_that_energy_exactly(c, n, beta, dtype):
    # regression: the float32 mean of n copies of c can round below c, and F followed it out of [min, mean]
    E = torch.full((n,), c, dtype=dtype)
    assert ec.free_energy(E, beta).item() == E[0].item()


@FAST
@given(E=energies(-5, 5), beta=log_uniform(0.1, 5))
def test_free_energy_equals_minus_log_mean_exp_over_beta_on_well_conditioned_cases(E, beta):
    closed_form = -np.log(np.mean(np.exp(-beta * E))) / beta
    assert ec.free_energy(torch.from_numpy(E), beta).item() == pytest.approx(closed_form, rel=1e-12, abs=1e-12)


def test_free_energy_of_two_states_by_hand():
    # E = [0, 1], beta = 1: F = -log((1 + 1/e) / 2)
    F = ec.free_energy(torch.tensor([0.0, 1.0], dtype=torch.float64), 1.0).item()
    assert F == pytest.approx(-math.log((1 + math.exp(-1)) / 2), rel=1e-15)


@FAST
@given(E=energies(-50, 50), beta=log_uniform(1e-3, 1e3))
def test_lecture_free_energy_without_one_over_Z_differs_by_log_Z_over_beta(E, beta):
    Et = torch.from_numpy(E)
    lecture = -torch.logsumexp(-beta * Et, dim=-1) / beta  # -(1/beta) log sum exp(-beta E), no 1/|Z|
    ours = ec.free_energy(Et, beta)
    assert (ours - lecture).item() == pytest.approx(math.log(len(E)) / beta, rel=1e-9, abs=1e-9 * (1 + abs(E).max()))


@pytest.mark.parametrize("dtype", DTYPES)
@FAST
@given(E=energies(-1e6, 1e6, max_size=10), beta=log_uniform(1e-6, 1e6))
def test_free_energy_is_finite_and_correct_for_energies_and_beta_up_to_1e6(dtype, E, beta):
    Et = torch.from_numpy(E).to(dtype)
    F = ec.free_energy(Et, beta)
    assert F.dtype == dtype and torch.isfinite(F)
    ref = mp_free_energy(Et.double().numpy(), beta)  # exact for the energies as the dtype holds them
    eps = torch.finfo(dtype).eps
    assert F.item() == pytest.approx(ref, rel=0, abs=8 * eps * (1 + abs(E).max()))


@pytest.mark.parametrize("beta", [1e-6, 1.0, 1e6])
def test_free_energy_extremes_by_hand(beta):
    E = torch.tensor([1e6, -1e6, 0.0], dtype=torch.float64)
    F = ec.free_energy(E, beta).item()
    assert F == pytest.approx(mp_free_energy(E.numpy(), beta), rel=1e-12)
    if beta >= 1:
        assert F == pytest.approx(-1e6 + math.log(3) / beta, rel=1e-15)


@pytest.mark.parametrize("dtype", DTYPES)
@FAST
@given(E=energies(-1e6, 1e6, max_size=10), beta=log_uniform(1e-6, 1e6))
def test_free_energy_gradient_is_finite_and_equals_gibbs_for_energies_and_beta_up_to_1e6(dtype, E, beta):
    Et = torch.from_numpy(E).to(dtype).requires_grad_(True)
    ec.free_energy(Et, beta).backward()
    assert Et.grad is not None and torch.isfinite(Et.grad).all()
    eps = torch.finfo(dtype).eps
    torch.testing.assert_close(Et.grad, ec.gibbs(Et.detach(), beta), rtol=0, atol=8 * eps)


def test_free_energy_gradient_keeps_small_energy_differences_in_float32():
    # float32 holds 1e6 and 1e6 + 0.0625 apart; at beta = 1 their weights are 0.5156 and 0.4844, even though
    # F itself rounds to min E (regression: a mean-centred sum and the clamp's tie lost this).
    for E0 in ([1e6, 1e6 + 0.0625], [1e6, -1e6 + 3, -1e6, 0.0]):
        E = torch.tensor(E0, dtype=torch.float32, requires_grad=True)
        ec.free_energy(E, 1.0).backward()
        torch.testing.assert_close(E.grad, ec.gibbs(E.detach(), 1.0), rtol=1e-6, atol=1e-7)


@FAST
@given(E=energies(-5, 5, min_size=2), beta=log_uniform(0.05, 20))
def test_free_energy_gradient_is_the_gibbs_distribution(E, beta):
    # dF/dE_i = exp(-beta E_i) / sum_j exp(-beta E_j)
    Et = torch.from_numpy(E).requires_grad_(True)
    ec.free_energy(Et, beta).backward()
    torch.testing.assert_close(Et.grad, ec.gibbs(Et.detach(), beta), rtol=1e-9, atol=1e-12)


def test_free_energy_gradient_at_infinite_beta_is_one_hot_at_the_argmin():
    E = torch.tensor([[2.0, -1.0, 0.0], [5.0, 6.0, 7.0]], dtype=torch.float64, requires_grad=True)
    ec.free_energy(E).sum().backward()
    assert E.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]


# ------------------------------------------------------------------------------------------------- nll


def quadratic(mu, a):
    mu = torch.as_tensor(mu, dtype=torch.float64)
    return lambda y: a * ((y - mu) ** 2).sum(dim=1)


@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_nll_equals_mean_minus_log_of_grid_normalised_density_over_beta(beta):
    energy_fn = quadratic([0.3, -0.4], 1.5)
    grid, area = data.grid_2d(-4, 4, 81)
    y = data.GaussianMixture([[0.0, 0.0]], [0.7], [1.0]).sample(50, seed=3)
    # p(y) = exp(-beta E(y)) / (sum_g exp(-beta E(g)) * cell_volume), computed directly
    Z = torch.exp(-beta * energy_fn(grid)).sum() * area
    p = torch.exp(-beta * energy_fn(y)) / Z
    expected = (-torch.log(p) / beta).mean()
    torch.testing.assert_close(ec.nll(energy_fn, y, grid, area, beta), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_nll_of_half_square_energy_approaches_the_gaussian_nll(beta):
    # E(y) = y^2/2: p = N(0, 1/beta), so (1/beta)(-log p(y)) = y^2/2 + (1/beta) * 0.5 log(2 pi / beta)
    grid, h = data.grid_1d(-15, 15, 3001)
    y = torch.linspace(-3, 3, 13, dtype=torch.float64)[:, None]
    L = ec.nll(lambda t: 0.5 * t[:, 0] ** 2, y, grid, h, beta).item()
    closed_form = (0.5 * y[:, 0] ** 2).mean().item() + 0.5 * math.log(2 * math.pi / beta) / beta
    assert L == pytest.approx(closed_form, rel=1e-10, abs=1e-10)
    if beta == 1.0:
        per_point = [ec.nll(lambda t: 0.5 * t[:, 0] ** 2, y[i : i + 1], grid, h).item() for i in range(len(y))]
        expected = 0.5 * y[:, 0] ** 2 + 0.5 * math.log(2 * math.pi)
        np.testing.assert_allclose(per_point, expected.numpy(), rtol=1e-10)


@FAST
@given(c=st.floats(-100, 100), beta=log_uniform(0.1, 10))
def test_nll_is_invariant_to_adding_a_constant_to_the_energy(c, beta):
    energy_fn = quadratic([0.5], 2.0)
    grid, h = data.grid_1d(-5, 5, 200)
    y = torch.tensor([[0.1], [0.7], [-1.2]], dtype=torch.float64)
    base = ec.nll(energy_fn, y, grid, h, beta).item()
    shifted = ec.nll(lambda t: energy_fn(t) + c, y, grid, h, beta).item()
    assert shifted == pytest.approx(base, rel=1e-10, abs=1e-10)


def _rbf_energy(seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    centers, _ = data.grid_2d(-2, 2, 4)
    model = models.RBFEnergy(centers.to(dtype), 0.8, W0=torch.randn(16, generator=g, dtype=dtype))
    return model, list(model.parameters())


def _mlp_energy(seed=0):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    return (lambda y: net(y).squeeze(-1)), list(net.parameters())


@pytest.mark.parametrize("make", [_rbf_energy, _mlp_energy], ids=["RBFEnergy", "nonlinear_module"])
@pytest.mark.parametrize("beta", [0.5, 1.0, 2.0])
def test_nll_autograd_gradient_equals_data_term_minus_model_term(make, beta):
    energy_fn, params = make()
    grid, area = data.grid_2d(-3, 3, 30)
    y = data.GaussianMixture([[0.5, -0.5], [-1.0, 1.0]], [0.5, 0.4], [0.5, 0.5]).sample(40, seed=1)
    grads = torch.autograd.grad(ec.nll(energy_fn, y, grid, area, beta), params)
    data_term, model_term = ec.nll_grad_terms(energy_fn, params, y, grid, beta)
    assert len(data_term) == len(model_term) == len(params)
    for g, d, m, p in zip(grads, data_term, model_term, params, strict=True):
        assert d.shape == m.shape == p.shape
        torch.testing.assert_close(g, d - m, rtol=0, atol=1e-8)


def test_nll_grad_terms_model_term_is_the_gibbs_expectation_of_dE_dW():
    # For the RBF energy E = phi(y) . W, dE/dW = phi(y): data_term = mean phi(y), model_term = E_P[phi(g)]
    model, params = _rbf_energy()
    grid, _ = data.grid_2d(-3, 3, 25)
    y = torch.tensor([[0.0, 0.0], [1.0, -1.0]], dtype=torch.float64)
    data_term, model_term = ec.nll_grad_terms(model, params, y, grid, 1.5)
    with torch.no_grad():
        P = ec.gibbs(model(grid), 1.5)
        torch.testing.assert_close(data_term[0], model.features(y).mean(0), rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(model_term[0], P @ model.features(grid), rtol=1e-12, atol=1e-12)


def test_nll_grad_terms_gives_zeros_for_parameters_the_energy_does_not_use():
    model, params = _rbf_energy()
    unused = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    grid, _ = data.grid_2d(-3, 3, 10)
    data_term, model_term = ec.nll_grad_terms(model, params + [unused], torch.zeros(2, 2, dtype=torch.float64), grid)
    assert torch.equal(data_term[-1], torch.zeros(3, dtype=torch.float64))
    assert torch.equal(model_term[-1], torch.zeros(3, dtype=torch.float64))


def test_lecture_loss_without_log_has_a_different_gradient_with_model_term_scaled_by_Z():
    model, params = _rbf_energy(seed=2)
    beta = 1.0
    grid, _ = data.grid_2d(-3, 3, 30)
    y = data.GaussianMixture([[0.5, -0.5]], [0.5], [1.0]).sample(30, seed=4)
    E_grid = model(grid)
    Z = torch.exp(-beta * E_grid).sum().item()  # the normaliser of P = softmax(-beta E_grid)
    assert abs(Z - 1) > 1  # a real test: Z is far from 1
    wrong_loss = model(y).mean() + torch.exp(-beta * E_grid).sum() / beta  # the note's L, with no log
    wrong = torch.autograd.grad(wrong_loss, params)
    right = torch.autograd.grad(ec.nll(model, y, grid, 1.0, beta), params)
    data_term, model_term = ec.nll_grad_terms(model, params, y, grid, beta)
    for w, r, d, m in zip(wrong, right, data_term, model_term, strict=True):
        torch.testing.assert_close(w, d - Z * m, rtol=1e-10, atol=1e-10)
        assert not torch.allclose(w, r, rtol=1e-3, atol=1e-3)


def test_nll_gradient_is_finite_for_large_energies():
    grid, h = data.grid_1d(-5, 5, 100)
    W = torch.tensor(1e4, dtype=torch.float64, requires_grad=True)
    L = ec.nll(lambda t: W * t[:, 0] ** 2, torch.tensor([[0.3]], dtype=torch.float64), grid, h, beta=100.0)
    (g,) = torch.autograd.grad(L, [W])
    assert torch.isfinite(L) and torch.isfinite(g)


# ---------------------------------------------------------------------------------- fit_max_likelihood


def test_fit_max_likelihood_decreases_the_nll_and_reaches_the_true_mixture_nll_on_held_out_data():
    mixture = data.GaussianMixture([[-2.0], [1.5]], [0.5, 0.8], [0.4, 0.6])
    y_train, y_test = mixture.sample(2000, seed=1), mixture.sample(2000, seed=2)
    grid, h = data.grid_1d(-7, 7, 141)
    model = models.RBFEnergy(torch.linspace(-7, 7, 15, dtype=torch.float64)[:, None], 0.6)
    before = ec.nll(model, y_test, grid, h).item()
    assert before == pytest.approx(math.log(14.0), rel=1e-12)  # W = 0: uniform on [-7, 7]
    losses = ec.fit_max_likelihood(model, y_train, grid, h, steps=120, lr=0.3, progress=False)
    assert len(losses) == 120 and all(math.isfinite(x) for x in losses)
    assert losses[-1] < losses[0] - 0.5
    assert np.mean(losses[-10:]) < np.mean(losses[:10])
    after = ec.nll(model, y_test, grid, h).item()
    truth = -mixture.log_prob(y_test).mean().item()  # exact NLL of the true mixture
    assert after < before
    assert abs(after - truth) < 0.05


def test_fit_max_likelihood_without_progress_prints_nothing(capsys, monkeypatch):
    monkeypatch.delenv("EBM_COURSE_NO_PROGRESS", raising=False)
    grid, h = data.grid_1d(-3, 3, 50)
    model = models.RBFEnergy(torch.tensor([[-1.0], [1.0]], dtype=torch.float64), 1.0)
    y = torch.tensor([[0.9], [1.1]], dtype=torch.float64)
    losses = ec.fit_max_likelihood(model, y, grid, h, steps=5, progress=False)
    assert len(losses) == 5 and losses[-1] < losses[0]
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


# ------------------------------------------------------------------------------------------ bad input

E3 = torch.tensor([0.0, 1.0, 2.0])
Y = torch.zeros(4, 1)
GRID = torch.linspace(-1, 1, 5)[:, None]


def _e(y):
    return (y**2).sum(dim=1)


class _NoParams(torch.nn.Module):
    def forward(self, y):
        return y[:, 0]


BAD_BETAS = [0, 0.0, -1.0, -math.inf, math.nan, math.inf]
BAD_FE_BETAS = [0, -1.0, -math.inf, math.nan]

BAD_INPUT = [
    # gibbs: beta
    *[(f"gibbs beta={b}", lambda b=b: ec.gibbs(E3, b), ValueError, "beta") for b in BAD_BETAS],
    ("gibbs beta str", lambda: ec.gibbs(E3, "1.0"), TypeError, "beta"),
    ("gibbs beta None", lambda: ec.gibbs(E3, None), TypeError, "beta"),
    ("gibbs beta tensor nan", lambda: ec.gibbs(E3, torch.tensor(math.nan)), ValueError, "beta"),
    ("gibbs beta vector", lambda: ec.gibbs(E3, torch.tensor([1.0, 2.0])), TypeError, "beta"),
    # gibbs: E and dim
    ("gibbs E empty", lambda: ec.gibbs(torch.tensor([]), 1.0), ValueError, "E"),
    ("gibbs E nan", lambda: ec.gibbs(torch.tensor([0.0, math.nan]), 1.0), ValueError, "E"),
    ("gibbs E inf", lambda: ec.gibbs(torch.tensor([0.0, math.inf]), 1.0), ValueError, "E"),
    ("gibbs E -inf", lambda: ec.gibbs(np.array([0.0, -np.inf]), 1.0), ValueError, "E"),
    ("gibbs E scalar", lambda: ec.gibbs(torch.tensor(1.0), 1.0), ValueError, "E"),
    ("gibbs E str", lambda: ec.gibbs("energies", 1.0), TypeError, "E"),
    ("gibbs E ragged", lambda: ec.gibbs([[1.0], [1.0, 2.0]], 1.0), TypeError, "E"),
    ("gibbs dim 1", lambda: ec.gibbs(E3, 1.0, dim=1), ValueError, "dim"),
    ("gibbs dim -2", lambda: ec.gibbs(E3, 1.0, dim=-2), ValueError, "dim"),
    ("gibbs dim 2 of 2-D", lambda: ec.gibbs(torch.zeros(2, 3), 1.0, dim=2), ValueError, "dim"),
    ("gibbs dim float", lambda: ec.gibbs(E3, 1.0, dim=0.0), TypeError, "dim"),
    # free_energy
    *[(f"free_energy beta={b}", lambda b=b: ec.free_energy(E3, b), ValueError, "beta") for b in BAD_FE_BETAS],
    ("free_energy beta str", lambda: ec.free_energy(E3, "inf"), TypeError, "beta"),
    ("free_energy E empty", lambda: ec.free_energy(torch.zeros(0)), ValueError, "E"),
    ("free_energy E nan", lambda: ec.free_energy(torch.tensor([1.0, math.nan]), 1.0), ValueError, "E"),
    ("free_energy E inf", lambda: ec.free_energy(torch.tensor([1.0, math.inf])), ValueError, "E"),
    ("free_energy dim", lambda: ec.free_energy(E3, 1.0, dim=3), ValueError, "dim"),
    # nll
    ("nll energy_fn not callable", lambda: ec.nll(3.0, Y, GRID, 0.5), TypeError, "energy_fn"),
    ("nll y 1-D", lambda: ec.nll(_e, torch.zeros(4), GRID, 0.5), ValueError, "y"),
    ("nll y 3-D", lambda: ec.nll(_e, torch.zeros(4, 1, 1), GRID, 0.5), ValueError, "y"),
    ("nll y empty", lambda: ec.nll(_e, torch.zeros(0, 1), GRID, 0.5), ValueError, "y"),
    ("nll y nan", lambda: ec.nll(_e, torch.tensor([[math.nan]]), GRID, 0.5), ValueError, "y"),
    ("nll y inf", lambda: ec.nll(_e, torch.tensor([[math.inf]]), GRID, 0.5), ValueError, "y"),
    ("nll grid 1-D", lambda: ec.nll(_e, Y, torch.zeros(5), 0.5), ValueError, "grid"),
    ("nll grid nan", lambda: ec.nll(_e, Y, torch.tensor([[0.0], [math.nan]]), 0.5), ValueError, "grid"),
    ("nll grid columns", lambda: ec.nll(_e, Y, torch.zeros(5, 2), 0.5), ValueError, "grid"),
    *[
        (f"nll cell_volume={v}", lambda v=v: ec.nll(_e, Y, GRID, v), ValueError, "cell_volume")
        for v in (0.0, -0.5, math.nan, math.inf)
    ],
    ("nll cell_volume str", lambda: ec.nll(_e, Y, GRID, "0.5"), TypeError, "cell_volume"),
    *[(f"nll beta={b}", lambda b=b: ec.nll(_e, Y, GRID, 0.5, b), ValueError, "beta") for b in BAD_BETAS],
    ("nll beta str", lambda: ec.nll(_e, Y, GRID, 0.5, "1"), TypeError, "beta"),
    ("nll energy_fn shape (n, 1)", lambda: ec.nll(lambda y: y, Y, GRID, 0.5), ValueError, "energy_fn"),
    ("nll energy_fn shape ()", lambda: ec.nll(lambda y: y.sum(), Y, GRID, 0.5), ValueError, "energy_fn"),
    ("nll energy_fn numpy", lambda: ec.nll(lambda y: y[:, 0].numpy(), Y, GRID, 0.5), TypeError, "energy_fn"),
    (
        "nll energy_fn nan",
        lambda: ec.nll(lambda y: torch.full((len(y),), math.nan), Y, GRID, 0.5),
        ValueError,
        "energy_fn",
    ),
    (
        "nll energy_fn inf on grid only",
        lambda: ec.nll(lambda y: 1 / y[:, 0].abs(), torch.ones(2, 1), torch.zeros(3, 1), 0.5),
        ValueError,
        "energy_fn",
    ),
    # nll_grad_terms
    ("nll_grad_terms params empty", lambda: ec.nll_grad_terms(_e, [], Y, GRID), ValueError, "params"),
    (
        "nll_grad_terms params no grad",
        lambda: ec.nll_grad_terms(_e, [torch.zeros(2)], Y, GRID),
        ValueError,
        "params",
    ),
    ("nll_grad_terms params not tensors", lambda: ec.nll_grad_terms(_e, [1.0], Y, GRID), ValueError, "params"),
    (
        "nll_grad_terms energy_fn",
        lambda: ec.nll_grad_terms(None, [torch.zeros(1, requires_grad=True)], Y, GRID),
        TypeError,
        "energy_fn",
    ),
    (
        "nll_grad_terms beta",
        lambda: ec.nll_grad_terms(_e, [torch.zeros(1, requires_grad=True)], Y, GRID, beta=-2.0),
        ValueError,
        "beta",
    ),
    (
        "nll_grad_terms grid columns",
        lambda: ec.nll_grad_terms(_e, [torch.zeros(1, requires_grad=True)], Y, torch.zeros(3, 2)),
        ValueError,
        "grid",
    ),
    # fit_max_likelihood
    ("fit model not a Module", lambda: ec.fit_max_likelihood(_e, Y, GRID, 0.5), TypeError, "model"),
    ("fit model without parameters", lambda: ec.fit_max_likelihood(_NoParams(), Y, GRID, 0.5), ValueError, "model"),
    (
        "fit steps 0",
        lambda: ec.fit_max_likelihood(models.RBFEnergy(GRID, 1.0), Y, GRID, 0.5, steps=0),
        ValueError,
        "steps",
    ),
    (
        "fit lr negative",
        lambda: ec.fit_max_likelihood(models.RBFEnergy(GRID, 1.0), Y, GRID, 0.5, lr=-0.1),
        ValueError,
        "lr",
    ),
    (
        "fit cell_volume",
        lambda: ec.fit_max_likelihood(models.RBFEnergy(GRID, 1.0), Y, GRID, 0.0),
        ValueError,
        "cell_volume",
    ),
]


@pytest.mark.parametrize(("call", "exc", "name"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT])
def test_bad_input_raises_an_error_naming_the_argument(call, exc, name):
    with pytest.raises(exc, match=rf"\b{name}\b"):
        call()


# ------------------------------------------------------- huge beta, dtypes, params, grid minima


@pytest.fixture
def rbf():
    return models.RBFEnergy(torch.linspace(-2.0, 2.0, 5, dtype=torch.float64)[:, None], width=0.5, W0=torch.randn(5))


@pytest.fixture
def rbf_data():
    grid, h = data.grid_1d(-3.0, 3.0, 60)
    return torch.randn(20, 1, dtype=torch.float64), grid, h


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_a_beta_beyond_the_dtype_range_gives_the_one_hot_limit_not_nan(dtype):
    E = torch.tensor([0.0, 1.0, 2.0], dtype=dtype)
    P = ec.gibbs(E, 1e300)
    assert torch.equal(P.float(), torch.tensor([1.0, 0.0, 0.0]))
    F = ec.free_energy(E, 1e300)
    assert torch.isfinite(F) and abs(F.item()) < 1e-6


def test_nll_stays_finite_for_a_huge_beta_in_float32(rbf, rbf_data):
    y, grid, h = rbf_data
    m = models.RBFEnergy(torch.linspace(-2.0, 2.0, 5)[:, None], width=0.5, W0=torch.randn(5))
    L = ec.nll(m, y.float(), grid.float(), h, beta=1e39)
    assert torch.isfinite(L)


def test_nll_is_unchanged_by_the_overflow_safe_shift(rbf, rbf_data):
    y, grid, h = rbf_data
    direct = (rbf(y).mean() + torch.log(torch.exp(-2.0 * rbf(grid)).sum() * h) / 2.0).item()
    assert math.isclose(ec.nll(rbf, y, grid, h, beta=2.0).item(), direct, rel_tol=1e-12)


def test_nll_grad_terms_rejects_a_bare_tensor_for_params(rbf, rbf_data):
    y, grid, _ = rbf_data
    with pytest.raises(TypeError, match="params"):
        ec.nll_grad_terms(rbf, rbf.W, y, grid)


def test_nll_grad_terms_rejects_non_leaf_params(rbf, rbf_data):
    y, grid, _ = rbf_data
    with pytest.raises(ValueError, match="params"):
        ec.nll_grad_terms(rbf, [rbf.W * 2], y, grid)


def test_nll_grad_terms_rejects_params_that_are_not_a_list(rbf, rbf_data):
    y, grid, _ = rbf_data
    with pytest.raises(TypeError, match="params"):
        ec.nll_grad_terms(rbf, None, y, grid)


def test_nll_grad_terms_rejects_an_energy_that_ignores_params(rbf, rbf_data):
    y, grid, _ = rbf_data
    with pytest.raises(ValueError, match="do not depend on params"):
        ec.nll_grad_terms(lambda p: p[:, 0] ** 2, [rbf.W], y, grid)


def test_integer_or_complex_energies_are_rejected_by_name(rbf_data):
    y, grid, h = rbf_data
    with pytest.raises(TypeError, match="energy_fn.*floating"):
        ec.nll(lambda p: torch.ones(p.shape[0], dtype=torch.long), y, grid, h)
    with pytest.raises(TypeError, match="energy_fn.*floating"):
        ec.nll(lambda p: torch.ones(p.shape[0], dtype=torch.complex64), y, grid, h)


def test_nll_without_log_exceeds_nll_by_z_minus_log_z_over_beta(rbf, rbf_data):
    y, grid, h = rbf_data
    beta = 1.5
    with torch.no_grad():
        Z = (torch.exp(-beta * rbf(grid)).sum() * h).item()
        gap = (ec.note_formulas.nll_without_log(rbf, y, grid, h, beta) - ec.nll(rbf, y, grid, h, beta)).item()
    assert math.isclose(gap, (Z - math.log(Z)) / beta, rel_tol=1e-10)
    assert gap >= 1 / beta


def test_nll_without_log_refuses_to_overflow(rbf_data):
    y, grid, h = rbf_data
    with pytest.raises(ValueError, match="overflows"):
        ec.note_formulas.nll_without_log(lambda p: -1e4 * torch.ones(p.shape[0], dtype=p.dtype), y, grid, h)


def test_grid_minima_finds_every_strict_interior_minimum():
    y = torch.linspace(-2.0, 2.0, 401)
    E = (y**2 - 1) ** 2
    assert torch.allclose(energy.grid_minima(E, y), torch.tensor([-1.0, 1.0]), atol=1e-6)
    assert torch.allclose(energy.grid_minima(E, y[:, None]), torch.tensor([-1.0, 1.0]), atol=1e-6)
    assert energy.grid_minima(y.clone(), y).numel() == 0  # monotone: no interior minimum


@pytest.mark.parametrize(
    ("E", "y", "match"),
    [
        (torch.zeros(5), torch.zeros(4), "one point per energy"),
        (torch.zeros(2), torch.zeros(2), "at least 3"),
        (torch.zeros(5, 2), torch.zeros(5), "E must have 1 dimension"),
        (torch.tensor([0.0, float("nan"), 1.0]), torch.zeros(3), "E contains NaN"),
    ],
)
def test_grid_minima_rejects_bad_input_by_name(E, y, match):
    with pytest.raises(ValueError, match=match):
        energy.grid_minima(E, y)
