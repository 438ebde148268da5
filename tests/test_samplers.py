"""The samplers: their chains are distributed as P(y) ∝ exp(-beta E(y)) on targets with known moments.

Tolerances come from the sample size: n independent chains give a sample mean with standard error
sigma / sqrt(n), and a sample variance with standard error sqrt((m4 - sigma^4) / n) (m4 the fourth central
moment); each check allows 4 standard errors (a false alarm about once in 16,000 per number), plus, for the
unadjusted Langevin sampler, its known discretisation bias.
"""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ebm_course import samplers

Z = 4.0  # standard errors allowed


def _gaussian(A, mu):
    """E(y) = (y - mu)^T A (y - mu) / 2: P ∝ exp(-beta E) is N(mu, A^{-1} / beta)."""
    A, mu = torch.as_tensor(A, dtype=torch.float64), torch.as_tensor(mu, dtype=torch.float64)

    def E(y):
        r = y - mu
        return 0.5 * ((r @ A) * r).sum(dim=1)

    return E


def _mixture_1d(y):
    """E(y) = -log( 0.6 N(y; -1, 0.6^2) + 0.4 N(y; 1.2, 0.5^2) ), a bimodal 1-D energy."""
    y = y[:, 0]
    a = math.log(0.6) - 0.5 * ((y + 1.0) / 0.6) ** 2 - math.log(0.6 * math.sqrt(2 * math.pi))
    b = math.log(0.4) - 0.5 * ((y - 1.2) / 0.5) ** 2 - math.log(0.5 * math.sqrt(2 * math.pi))
    return -torch.logaddexp(a, b)


def _moments_1d(energy_fn, beta):
    """Mean, variance and fourth central moment of P ∝ exp(-beta E) by quadrature on a fine grid."""
    x = torch.linspace(-8, 8, 200001, dtype=torch.float64)[:, None]
    logp = -beta * energy_fn(x)
    w = torch.softmax(logp, dim=0)
    m = (w * x[:, 0]).sum()
    c = x[:, 0] - m
    return m.item(), (w * c**2).sum().item(), (w * c**4).sum().item()


def _check_mean_cov(y, mu, cov, bias=0.0):
    """Sample mean and covariance within Z standard errors (Gaussian target: Var(s_ij) = (S_ii S_jj + S_ij^2)/n)."""
    n = y.shape[0]
    mu, cov = torch.as_tensor(mu, dtype=torch.float64), torch.as_tensor(cov, dtype=torch.float64)
    se_mean = (cov.diagonal() / n).sqrt()
    assert ((y.mean(dim=0) - mu).abs() <= Z * se_mean).all(), (y.mean(dim=0), mu)
    S = torch.cov(y.T).reshape(cov.shape)
    se_cov = ((cov.diagonal()[:, None] * cov.diagonal()[None, :] + cov**2) / n).sqrt()
    assert ((S - cov).abs() <= Z * se_cov + bias * cov.abs()).all(), (S, cov)


def _check_moments_1d(y, m, v, m4, bias=0.0):
    n = y.shape[0]
    x = y[:, 0]
    assert abs(x.mean().item() - m) <= Z * math.sqrt(v / n), (x.mean().item(), m)
    assert abs(x.var().item() - v) <= Z * math.sqrt((m4 - v**2) / n) + bias * v, (x.var().item(), v)


A2 = [[2.0, 0.6], [0.6, 1.0]]
MU2 = [0.5, -1.0]


def _start(n, d, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ---------------------------------------------------------------- Gaussian targets, beta = 1 and another beta


@pytest.mark.parametrize("beta", [1.0, 2.5])
def test_hmc_samples_a_gaussian_at_any_beta(beta):
    E = _gaussian(A2, MU2)
    y = samplers.hmc(E, _start(4000, 2), steps=60, step_size=0.15, leapfrog_steps=5, beta=beta, seed=1)
    _check_mean_cov(y, MU2, torch.linalg.inv(torch.tensor(A2)) / beta)


@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_metropolis_samples_a_gaussian_at_any_beta(beta):
    E = _gaussian(A2, MU2)
    y = samplers.metropolis(E, _start(4000, 2), steps=400, step_size=0.9 / math.sqrt(beta), beta=beta, seed=2)
    _check_mean_cov(y, MU2, torch.linalg.inv(torch.tensor(A2)) / beta)


@pytest.mark.parametrize("beta", [1.0, 3.0])
def test_langevin_samples_a_gaussian_with_its_known_discretisation_bias(beta):
    # On a quadratic energy the unadjusted chain is Gaussian with covariance (A - step A^2 / 2)^{-1} / beta.
    E = _gaussian(A2, MU2)
    eps = 0.1
    A = torch.tensor(A2, dtype=torch.float64)
    y = samplers.langevin(E, _start(4000, 2), steps=300, step_size=eps, beta=beta, seed=3)
    _check_mean_cov(y, MU2, torch.linalg.inv(A - eps * A @ A / 2) / beta)
    # ... and that bias is real: with this step size the exact covariance is outside the tolerance.
    with pytest.raises(AssertionError):
        _check_mean_cov(y, MU2, torch.linalg.inv(A) / beta)


def test_monte_carlo_resamples_uniform_proposals_into_a_gaussian():
    E = _gaussian(A2, MU2)
    y, ess = samplers.monte_carlo(E, 4000, -7.0, 7.0, d=2, proposals=200_000, seed=4, return_ess=True)
    assert 0.01 < ess < 0.2
    # Resampling repeats points: the standard error grows to sqrt(1/n + 1/ESS) times sigma.
    n_eff = 1 / (1 / 4000 + 1 / (ess * 200_000))
    _check_mean_cov(y[: int(n_eff)], MU2, torch.linalg.inv(torch.tensor(A2)))


# ---------------------------------------------------------------- a bimodal mixture


@pytest.mark.parametrize("beta", [1.0, 2.0])
def test_hmc_and_metropolis_sample_a_bimodal_mixture(beta):
    m, v, m4 = _moments_1d(_mixture_1d, beta)
    y = samplers.hmc(_mixture_1d, _start(2000, 1), steps=100, step_size=0.2, leapfrog_steps=8, beta=beta, seed=5)
    _check_moments_1d(y, m, v, m4)
    y = samplers.metropolis(_mixture_1d, _start(2000, 1, 1), steps=400, step_size=1.0, beta=beta, seed=6)
    _check_moments_1d(y, m, v, m4)


def test_langevin_samples_a_bimodal_mixture():
    m, v, m4 = _moments_1d(_mixture_1d, 1.0)
    eps = 0.01  # bias of the variance about eps * a_max / 2 relative, a_max = 1 / 0.5^2: 2%
    y = samplers.langevin(_mixture_1d, _start(2000, 1), steps=1000, step_size=eps, seed=7)
    _check_moments_1d(y, m, v, m4, bias=eps * 4 / 2)


def test_monte_carlo_samples_a_mixture_at_another_beta():
    m, v, m4 = _moments_1d(_mixture_1d, 2.0)
    y, ess = samplers.monte_carlo(
        _mixture_1d, 4000, -6.0, 6.0, d=1, proposals=100_000, beta=2.0, seed=8, return_ess=True
    )
    n_eff = int(1 / (1 / 4000 + 1 / (ess * 100_000)))
    _check_moments_1d(y[:n_eff], m, v, m4)


# ---------------------------------------------------------------- HMC's acceptance rate


def test_hmc_acceptance_falls_with_the_step_size_and_vanishes_past_the_stability_limit():
    E = _gaussian([[1.0, 0.0], [0.0, 1.0]], [0.0, 0.0])  # leapfrog is stable for step_size < 2 here
    rates = [
        samplers.hmc(E, _start(2000, 2), 10, s, leapfrog_steps=10, seed=9, return_acceptance=True)[1]
        for s in (0.1, 0.5, 1.5, 2.2)
    ]
    assert rates[0] > 0.99 and rates[0] > rates[1] > rates[2]
    assert rates[3] < 0.01


def test_metropolis_acceptance_falls_with_the_proposal_size():
    E = _gaussian(A2, MU2)
    small = samplers.metropolis(E, _start(2000, 2), 20, 0.1, seed=10, return_acceptance=True)[1]
    large = samplers.metropolis(E, _start(2000, 2), 20, 5.0, seed=10, return_acceptance=True)[1]
    assert small > 0.9 and large < 0.2


# ---------------------------------------------------------------- reproducibility, device, dtype


@pytest.mark.parametrize(
    "run",
    [
        lambda E, y, s: samplers.langevin(E, y, 5, 0.1, seed=s),
        lambda E, y, s: samplers.hmc(E, y, 3, 0.2, 3, seed=s),
        lambda E, y, s: samplers.metropolis(E, y, 5, 0.5, seed=s),
    ],
)
def test_chains_are_reproducible_from_a_seed_and_leave_the_global_generator_alone(run):
    E = _gaussian(A2, MU2)
    y0 = _start(50, 2).float()
    state = torch.get_rng_state()
    a, b, c = run(E, y0, 3), run(E, y0, 3), run(E, y0, 4)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.dtype == torch.float32 and a.device == y0.device and a.shape == y0.shape
    assert torch.equal(y0, _start(50, 2).float())  # the start is not changed in place


def test_zero_steps_return_a_copy_of_the_start():
    E = _gaussian(A2, MU2)
    y0 = _start(10, 2)
    for out in (samplers.langevin(E, y0, 0, 0.1), samplers.hmc(E, y0, 0, 0.1), samplers.metropolis(E, y0, 0, 0.1)):
        assert torch.equal(out, y0) and out.data_ptr() != y0.data_ptr()


def test_langevin_trajectory_starts_at_y0_and_ends_at_the_samples():
    E = _gaussian(A2, MU2)
    y0 = _start(10, 2)
    path = samplers.langevin(E, y0, 7, 0.1, seed=0, trajectory=True)
    assert path.shape == (8, 10, 2) and torch.equal(path[0], y0)
    assert torch.equal(path[-1], samplers.langevin(E, y0, 7, 0.1, seed=0))


def test_samplers_leave_the_energys_parameters_without_gradient():
    W = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)

    def E(y):
        return 0.5 * (y.square() * W).sum(dim=1)

    samplers.langevin(E, _start(5, 2), 3, 0.1, seed=0)
    samplers.hmc(E, _start(5, 2), 3, 0.1, 2, seed=0)
    assert W.grad is None


# ---------------------------------------------------------------- bad input


def _E(y):
    return 0.5 * y.square().sum(dim=1)


RUNS = {
    "langevin": lambda **k: samplers.langevin(
        **{"energy_fn": _E, "y0": _start(5, 2), "steps": 3, "step_size": 0.1, **k}
    ),
    "hmc": lambda **k: samplers.hmc(**{"energy_fn": _E, "y0": _start(5, 2), "steps": 3, "step_size": 0.1, **k}),
    "metropolis": lambda **k: samplers.metropolis(
        **{"energy_fn": _E, "y0": _start(5, 2), "steps": 3, "step_size": 0.1, **k}
    ),
}


@pytest.mark.parametrize("name", sorted(RUNS))
@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"step_size": 0.0}, ValueError, "step_size"),
        ({"step_size": -0.1}, ValueError, "step_size"),
        ({"step_size": math.inf}, ValueError, "step_size"),
        ({"step_size": "0.1"}, TypeError, "step_size"),
        ({"steps": -1}, ValueError, "steps"),
        ({"steps": 2.5}, TypeError, "steps"),
        ({"beta": 0.0}, ValueError, "beta"),
        ({"beta": -1.0}, ValueError, "beta"),
        ({"beta": math.inf}, ValueError, "beta"),
        ({"beta": math.nan}, ValueError, "beta"),
        ({"beta": "1"}, TypeError, "beta"),
        ({"seed": -1}, ValueError, "seed"),
        ({"y0": torch.tensor([[0.0, math.nan]])}, ValueError, "y0"),
        ({"y0": torch.tensor([[0.0, math.inf]])}, ValueError, "y0"),
        ({"y0": torch.zeros(3)}, ValueError, "y0"),
        ({"y0": torch.zeros(0, 2)}, ValueError, "y0"),
        ({"energy_fn": "E"}, TypeError, "energy_fn"),
        ({"energy_fn": lambda y: y.square().sum()}, ValueError, "energy_fn"),
        ({"energy_fn": lambda y: y.square()}, ValueError, "energy_fn"),
        ({"energy_fn": lambda y: y[:, 0] * math.nan}, ValueError, "energy_fn"),
        ({"energy_fn": lambda y: y.square().sum(dim=1).detach().numpy()}, TypeError, "energy_fn"),
    ],
)
def test_bad_input_is_rejected_with_the_argument_named(name, kwargs, error, word):
    with pytest.raises(error, match=word):
        RUNS[name](**kwargs)


@pytest.mark.parametrize("name", sorted(RUNS))
def test_an_energy_that_turns_nan_along_the_chains_is_caught(name):
    def E(y):  # finite at the start, nan once a chain moves right of 0.5
        return torch.where(y[:, 0] > 0.5, math.nan, y.square().sum(dim=1))

    with pytest.raises(ValueError, match="energy_fn"):
        RUNS[name](energy_fn=E, y0=torch.zeros(200, 2, dtype=torch.float64), steps=50, step_size=0.5, seed=0)


def test_hmc_rejects_bad_leapfrog_steps():
    with pytest.raises(ValueError, match="leapfrog_steps"):
        samplers.hmc(_E, _start(5, 2), 3, 0.1, leapfrog_steps=0)


def test_langevin_that_diverges_says_to_lower_the_step_size_instead_of_returning_inf():
    with pytest.raises(ValueError, match="step_size"):
        samplers.langevin(lambda y: 1e3 * y.square().sum(dim=1), _start(5, 2), 200, 1.0, seed=0)


def test_a_gradient_free_energy_is_named():
    with pytest.raises(ValueError, match="depend on y"):
        samplers.langevin(lambda y: torch.zeros(y.shape[0], dtype=y.dtype), _start(5, 2), 3, 0.1)


@pytest.mark.parametrize(
    ("kwargs", "error", "word"),
    [
        ({"n": 0}, ValueError, "n"),
        ({"low": 1.0, "high": -1.0}, ValueError, "low < high"),
        ({"low": "a"}, TypeError, "low"),
        ({"high": math.nan}, ValueError, "high"),
        ({"d": None}, ValueError, "d must be given"),
        ({"proposals": 0}, ValueError, "proposals"),
        ({"beta": 0.0}, ValueError, "beta"),
        ({"energy_fn": lambda y: y}, ValueError, "energy_fn"),
    ],
)
def test_monte_carlo_rejects_bad_input(kwargs, error, word):
    args = {"energy_fn": _E, "n": 10, "low": -1.0, "high": 1.0, "d": 2, **kwargs}
    with pytest.raises(error, match=word):
        samplers.monte_carlo(**args)


def test_monte_carlo_takes_a_box_of_tensors():
    y = samplers.monte_carlo(_E, 100, torch.tensor([0.0, -1.0]), torch.tensor([1.0, 0.0]), seed=0)
    assert y.shape == (100, 2) and (y[:, 0] >= 0).all() and (y[:, 1] <= 0).all()


# ---------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(
    dE=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=20),
    beta=st.floats(1e-3, 1e3),
)
def test_metropolis_acceptance_is_a_probability_and_one_downhill(dE, beta):
    E_new = torch.tensor(dE, dtype=torch.float64)
    a = samplers.metropolis_acceptance(torch.zeros_like(E_new), E_new, beta)
    assert torch.isfinite(a).all() and (a >= 0).all() and (a <= 1).all()
    assert (a[E_new <= 0] == 1).all()


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(1, 30),
    d=st.integers(1, 4),
    steps=st.integers(0, 5),
    step_size=st.floats(1e-4, 0.5),
    seed=st.integers(0, 2**31),
)
def test_every_sampler_keeps_shape_dtype_and_finiteness(n, d, steps, step_size, seed):
    y0 = torch.randn(n, d, generator=torch.Generator().manual_seed(seed % 1000))
    for out in (
        samplers.langevin(_E, y0, steps, step_size, seed=seed),
        samplers.hmc(_E, y0, steps, step_size, 3, seed=seed),
        samplers.metropolis(_E, y0, steps, step_size, seed=seed),
    ):
        assert out.shape == y0.shape and out.dtype == y0.dtype and torch.isfinite(out).all()
