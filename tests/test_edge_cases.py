"""Edge cases of the public functions: huge beta in float32, misuse of params, wrong dtypes, helpers."""

from __future__ import annotations

import math

import nbformat
import pytest
import torch

import ebm_course as ec
from ebm_course import exercises, i18n, student
from ebm_course.data import GaussianMixture, grid_1d
from ebm_course.energy import grid_minima
from ebm_course.models import RBFEnergy
from ebm_course.note_formulas import nll_without_log


@pytest.fixture
def model():
    return RBFEnergy(torch.linspace(-2.0, 2.0, 5, dtype=torch.float64)[:, None], width=0.5, W0=torch.randn(5))


@pytest.fixture
def data():
    grid, h = grid_1d(-3.0, 3.0, 60)
    return torch.randn(20, 1, dtype=torch.float64), grid, h


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
def test_a_beta_beyond_the_dtype_range_gives_the_one_hot_limit_not_nan(dtype):
    E = torch.tensor([0.0, 1.0, 2.0], dtype=dtype)
    P = ec.gibbs(E, 1e300)
    assert torch.equal(P.float(), torch.tensor([1.0, 0.0, 0.0]))
    F = ec.free_energy(E, 1e300)
    assert torch.isfinite(F) and abs(F.item()) < 1e-6


def test_nll_stays_finite_for_a_huge_beta_in_float32(model, data):
    y, grid, h = data
    m = RBFEnergy(torch.linspace(-2.0, 2.0, 5)[:, None], width=0.5, W0=torch.randn(5))
    L = ec.nll(m, y.float(), grid.float(), h, beta=1e39)
    assert torch.isfinite(L)


def test_nll_is_unchanged_by_the_overflow_safe_shift(model, data):
    y, grid, h = data
    direct = (model(y).mean() + torch.log(torch.exp(-2.0 * model(grid)).sum() * h) / 2.0).item()
    assert math.isclose(ec.nll(model, y, grid, h, beta=2.0).item(), direct, rel_tol=1e-12)


def test_nll_grad_terms_rejects_a_bare_tensor_for_params(model, data):
    y, grid, _ = data
    with pytest.raises(TypeError, match="params"):
        ec.nll_grad_terms(model, model.W, y, grid)


def test_nll_grad_terms_rejects_non_leaf_params(model, data):
    y, grid, _ = data
    with pytest.raises(ValueError, match="params"):
        ec.nll_grad_terms(model, [model.W * 2], y, grid)


def test_nll_grad_terms_rejects_params_that_are_not_a_list(model, data):
    y, grid, _ = data
    with pytest.raises(TypeError, match="params"):
        ec.nll_grad_terms(model, None, y, grid)


def test_nll_grad_terms_rejects_an_energy_that_ignores_params(model, data):
    y, grid, _ = data
    with pytest.raises(ValueError, match="do not depend on params"):
        ec.nll_grad_terms(lambda p: p[:, 0] ** 2, [model.W], y, grid)


def test_integer_or_complex_energies_are_rejected_by_name(data):
    y, grid, h = data
    with pytest.raises(TypeError, match="energy_fn.*floating"):
        ec.nll(lambda p: torch.ones(p.shape[0], dtype=torch.long), y, grid, h)
    with pytest.raises(TypeError, match="energy_fn.*floating"):
        ec.nll(lambda p: torch.ones(p.shape[0], dtype=torch.complex64), y, grid, h)


def test_nll_without_log_exceeds_nll_by_z_minus_log_z_over_beta(model, data):
    y, grid, h = data
    beta = 1.5
    with torch.no_grad():
        Z = (torch.exp(-beta * model(grid)).sum() * h).item()
        gap = (nll_without_log(model, y, grid, h, beta) - ec.nll(model, y, grid, h, beta)).item()
    assert math.isclose(gap, (Z - math.log(Z)) / beta, rel_tol=1e-10)
    assert gap >= 1 / beta


def test_nll_without_log_refuses_to_overflow(data):
    y, grid, h = data
    with pytest.raises(ValueError, match="overflows"):
        nll_without_log(lambda p: -1e4 * torch.ones(p.shape[0], dtype=p.dtype), y, grid, h)


def test_grid_minima_finds_every_strict_interior_minimum():
    y = torch.linspace(-2.0, 2.0, 401)
    E = (y**2 - 1) ** 2
    assert torch.allclose(grid_minima(E, y), torch.tensor([-1.0, 1.0]), atol=1e-6)
    assert torch.allclose(grid_minima(E, y[:, None]), torch.tensor([-1.0, 1.0]), atol=1e-6)
    assert grid_minima(y.clone(), y).numel() == 0  # monotone: no interior minimum


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
        grid_minima(E, y)


def test_check_nll_discrete_gives_a_hint_when_the_shifted_call_returns_garbage(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    calls = {"n": 0}

    def flaky(E, idx, beta):
        calls["n"] += 1
        if calls["n"] > 3:
            return [1.0, 2.0]
        return (E[idx] + torch.logsumexp(-beta * E, 0) / beta).mean()

    res = exercises.check_nll_discrete(flaky, lang="en")
    assert not res and "constant" in res.message


def test_gaussian_mixture_accepts_float32_weights_that_sum_to_one():
    weights = torch.softmax(torch.tensor([0.3, 1.1, -0.4]), 0)
    mix = GaussianMixture([[0.0], [1.0], [2.0]], [0.5, 0.5, 0.5], weights)
    assert mix.sample(5, seed=0).shape == (5, 1)


@pytest.mark.parametrize("seed", [None, 1.7, -1, 2**63])
def test_gaussian_mixture_sample_rejects_bad_seeds_by_name(seed):
    mix = GaussianMixture([[0.0]], [1.0], [1.0])
    with pytest.raises((TypeError, ValueError), match="seed"):
        mix.sample(3, seed=seed)


def test_seed_everything_rejects_seeds_torch_cannot_hold():
    with pytest.raises(ValueError, match="seed"):
        ec.seed_everything(2**70)


def test_setup_with_a_bad_seed_changes_nothing():
    i18n.set_language("en")
    with pytest.raises(ValueError, match="seed"):
        ec.setup(lang="ko", seed=-1)
    assert i18n.get_language() == "en"


def test_student_notebook_drops_the_colab_link_to_the_teacher_version():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "# T\n\n[Open in Colab](https://colab.research.google.com/github/o/r/blob/main/x.ipynb)"
        ),
        nbformat.v4.new_code_cell(
            "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION", metadata={"tags": ["solution"]}
        ),
    ]
    out = student.student_notebook(nb, "en")
    assert "colab.research.google.com" not in out.cells[0].source and out.cells[0].source.startswith("# T")
    assert "raise NotImplementedError()" in out.cells[1].source


@pytest.mark.parametrize(
    "call",
    [
        lambda s: ec.data.Spiral().sample(3, seed=s),
        lambda s: ec.data.sample_ellipse(3, seed=s),
        lambda s: ec.dae.DAE(2, hidden=4, seed=s),
        lambda s: ec.dae.corrupt(torch.zeros(2, 2), 0.1, seed=s),
        lambda s: ec.kmeans.kmeans_plusplus(torch.rand(5, 2, dtype=torch.float64), 2, seed=s),
    ],
)
def test_every_seed_must_fit_a_torch_generator(call):
    for bad, err in ((-1, ValueError), (2**63, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(err, match="seed"):
            call(bad)
    call(2**63 - 1)
