"""ebm_course.kmeans: K-means as an energy-based model, E(y, z) = ||y - W z||^2 with one-hot z.

Equal to scikit-learn's Lloyd from the same start; property tests of inference, free energy and
training; every bad input raises an error that names the argument.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ebm_course as ec
from ebm_course.kmeans import KMeansEBM, kmeans_plusplus

FAST = settings(max_examples=30, deadline=None)


def blobs(n=300, d=2, seed=0):
    g = torch.Generator().manual_seed(seed)
    centres = 3.0 * torch.randn(5, d, generator=g, dtype=torch.float64)
    return centres[torch.randint(5, (n,), generator=g)] + 0.4 * torch.randn(n, d, generator=g, dtype=torch.float64)


def with_W(W):
    m = KMeansEBM(W.shape[1])
    m.W = W
    return m


# ---------------------------------------------------------------- equal to the reference


@pytest.mark.parametrize("tol", [0.0, 1e-4])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_coordinate_fit_reaches_the_same_energy_as_sklearn_lloyd_from_the_same_start(seed, tol):
    from sklearn.cluster import KMeans

    y = ec.data.Spiral().sample(3000, seed=seed)
    k = 16
    init = kmeans_plusplus(y, k, seed=seed)
    model = KMeansEBM(k).fit(y, steps=300, init=init, tol=tol)
    km = KMeans(k, init=init.T.numpy(), n_init=1, algorithm="lloyd", tol=tol, max_iter=300).fit(y.numpy())
    energy = model.free_energy(y).sum().item()
    assert abs(energy - km.inertia_) <= 1e-6 * km.inertia_
    assert np.allclose(model.W.T.numpy(), km.cluster_centers_, atol=1e-8)
    assert model.converged


def test_coordinate_fit_equals_sklearn_with_a_repeated_prototype_and_far_from_the_origin():
    from sklearn.cluster import KMeans

    y = ec.data.Spiral().sample(3000, seed=1)
    init = kmeans_plusplus(y, 8, seed=1)
    init[:, 5] = init[:, 2]  # a tie for every point: the lower index wins, column 5 empties and is refilled
    for shift in (0.0, 1e4):  # far from the origin ||y||^2 - 2 w.y + ||w||^2 cancels unless the data are centred
        model = KMeansEBM(8).fit(y + shift, steps=300, init=init + shift)
        km = KMeans(8, init=(init + shift).T.numpy(), n_init=1, algorithm="lloyd", tol=0.0, max_iter=300)
        km.fit((y + shift).numpy())
        assert abs(model.free_energy(y + shift).sum().item() - km.inertia_) <= 1e-6 * km.inertia_
        assert abs(model.history[-1] * len(y) - km.inertia_) <= 1e-6 * km.inertia_
        assert np.allclose(model.W.T.numpy(), km.cluster_centers_, rtol=0, atol=1e-8)


# ---------------------------------------------------------------- the readable steps and the fast path


@pytest.mark.parametrize(("n", "d", "k", "seed"), [(3000, 2, 16, 0), (500, 3, 7, 1), (5000, 2, 32, 2), (40, 1, 3, 3)])
def test_fit_gives_the_prototypes_of_alternating_z_step_and_w_step_when_no_cluster_empties(n, d, k, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randn(n, d, generator=g, dtype=torch.float64) if d != 2 else ec.data.Spiral().sample(n, seed=seed)
    W = kmeans_plusplus(y, k, seed=seed)
    init = W.clone()
    readable = [W]
    for _ in range(300):
        labels = ec.kmeans.z_step(y, W)
        assert torch.bincount(labels, minlength=k).min() > 0  # the claim is for runs where no cluster empties
        W = ec.kmeans.w_step(y, labels, W)
        readable.append(W)
        if torch.equal(ec.kmeans.z_step(y, W), labels):
            break
    model = KMeansEBM(k).fit(y, steps=300, init=init)
    assert model.converged and model.n_iter == len(readable)
    assert torch.allclose(model.W, readable[-1], rtol=0, atol=1e-12)
    for steps in (1, 2, len(readable) // 2):  # and after every number of steps, not only at the end
        early = KMeansEBM(k).fit(y, steps=steps, init=init)
        assert torch.allclose(early.W, readable[steps], rtol=0, atol=1e-12)


@FAST
@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 3), st.integers(0, 10_000))
def test_z_step_is_the_argmin_of_the_energy_and_w_step_the_mean_of_each_cluster(n, k, d, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randn(n, d, generator=g, dtype=torch.float64)
    W = torch.randn(d, k, generator=g, dtype=torch.float64)
    labels = ec.kmeans.z_step(y, W)
    assert labels.dtype == torch.long and labels.shape == (n,)
    assert torch.equal(labels, with_W(W).infer(y))
    W_new = ec.kmeans.w_step(y, labels, W)
    for j in range(k):
        mine = labels == j
        expected = y[mine].mean(dim=0) if mine.any() else W[:, j]  # an empty prototype stays
        assert torch.allclose(W_new[:, j], expected, rtol=0, atol=1e-12)


def test_z_step_and_w_step_reject_bad_arguments_with_their_names():
    y, W = torch.zeros(4, 2), torch.zeros(2, 3)
    with pytest.raises(ValueError, match="W must have d = 2 rows"):
        ec.kmeans.z_step(y, torch.zeros(3, 3))
    with pytest.raises(TypeError, match="y must be a torch.Tensor"):
        ec.kmeans.z_step("y", W)
    with pytest.raises(TypeError, match="labels must hold integers"):
        ec.kmeans.w_step(y, torch.zeros(4), W)
    with pytest.raises(ValueError, match=r"labels must hold values in \[0, 2\]"):
        ec.kmeans.w_step(y, torch.tensor([0, 1, 2, 3]), W)
    with pytest.raises(ValueError, match="labels must hold one index per row of y"):
        ec.kmeans.w_step(y, torch.tensor([0, 1]), W)


@FAST
@given(st.integers(1, 40), st.integers(1, 9), st.integers(0, 10_000))
def test_the_packed_z_step_is_argmin_with_ties_to_the_lowest_index(n, k, seed):
    from ebm_course._kmeans_fast import _assign

    g = torch.Generator().manual_seed(seed)
    y = torch.randint(-2, 3, (n, 2), generator=g).to(torch.float64)  # small integers: exact energies, many ties
    W = torch.randint(-2, 3, (2, k), generator=g).to(torch.float64)
    y2 = y.square().sum(dim=1)
    shift = 2 * y2.max().item()
    best, labels = _assign(y.T.contiguous(), W, shift)
    E = ((y[:, :, None] - W[None]) ** 2).sum(dim=1)
    assert torch.equal(labels, E.argmin(dim=1))  # torch's argmin: the first of equal minima
    assert torch.allclose(best - shift + y2, E.min(dim=1).values, rtol=0, atol=1e-12)


def test_coordinate_fit_stops_when_assignments_stop_changing_and_is_a_fixed_point():
    y = blobs()
    model = KMeansEBM(5).fit(y, steps=200, seed=3)
    assert model.converged and model.n_iter < 200
    z = model.infer(y)
    means = torch.stack([y[z == j].mean(dim=0) for j in range(5)], dim=1)
    assert torch.allclose(model.W, means, atol=1e-12)


# ---------------------------------------------------------------- energy, inference, free energy


@FAST
@given(st.integers(1, 40), st.integers(1, 6), st.integers(1, 3), st.integers(0, 10_000))
def test_infer_picks_the_column_of_least_energy_and_F_inf_is_that_energy(n, k, d, seed):
    g = torch.Generator().manual_seed(seed)
    y = torch.randn(n, d, generator=g, dtype=torch.float64)
    model = with_W(torch.randn(d, k, generator=g, dtype=torch.float64))
    z = model.infer(y)
    E = ((y[:, :, None] - model.W[None]) ** 2).sum(dim=1)  # (n, k) by broadcasting, no expansion trick
    assert z.dtype == torch.long and z.shape == (n,)
    assert torch.allclose(E.gather(1, z[:, None])[:, 0], E.min(dim=1).values, atol=1e-12)
    assert torch.allclose(model.energies(y), E, atol=1e-12)
    assert torch.allclose(model.free_energy(y), E.min(dim=1).values, atol=1e-12)
    one_hot = torch.nn.functional.one_hot(z, k).to(torch.float64)
    assert torch.allclose(model.energy(y, one_hot), E.min(dim=1).values, atol=1e-12)
    assert torch.allclose(model.energy(y, z), model.energy(y, one_hot))


def test_energy_is_zero_at_the_prototypes_and_grows_quadratically_away_from_them():
    W = torch.tensor([[0.0, 4.0], [0.0, 0.0]], dtype=torch.float64)
    model = with_W(W)
    assert torch.equal(model.free_energy(W.T), torch.zeros(2, dtype=torch.float64))
    r = torch.tensor([0.1, 0.5, 1.0, 1.5], dtype=torch.float64)
    y = torch.stack([r, torch.zeros(4, dtype=torch.float64)], dim=1)
    assert torch.allclose(model.free_energy(y), r**2)


@FAST
@given(st.floats(1e-3, 1e3), st.integers(0, 1000))
def test_finite_beta_free_energy_lies_between_min_and_mean_and_matches_the_formula(beta, seed):
    g = torch.Generator().manual_seed(seed)
    y = 3 * torch.randn(20, 2, generator=g, dtype=torch.float64)
    model = with_W(torch.randn(2, 4, generator=g, dtype=torch.float64))
    E = model.energies(y)
    F = model.free_energy(y, beta=beta)
    expected = -(torch.logsumexp(-beta * E, dim=1) - math.log(4)) / beta
    assert torch.allclose(F, expected, rtol=1e-9, atol=1e-9)
    assert (F >= E.min(dim=1).values - 1e-9).all() and (F <= E.mean(dim=1) + 1e-9).all()


def test_finite_beta_free_energy_tends_to_min_and_to_mean():
    y = blobs(50)
    model = KMeansEBM(4).fit(y, seed=1)
    E = model.energies(y)
    assert torch.allclose(model.free_energy(y, beta=1e6), E.min(dim=1).values, atol=1e-5)
    assert torch.allclose(model.free_energy(y, beta=1e-8), E.mean(dim=1), rtol=1e-5)


# ---------------------------------------------------------------- training


@FAST
@given(st.integers(0, 10_000), st.integers(1, 8))
def test_lloyd_energy_never_increases(seed, k):
    y = blobs(120, seed=seed)
    model = KMeansEBM(k).fit(y, steps=50, seed=seed)
    h = torch.tensor(model.history)
    assert (h[1:] <= h[:-1] + 1e-12).all()
    assert abs(h[-1] - model.free_energy(y).mean().item()) < 1e-9


def test_gradient_method_moves_each_prototype_towards_its_mean_and_lowers_the_energy():
    y = blobs(400)
    init = kmeans_plusplus(y, 5, seed=0)
    one = KMeansEBM(5).fit(y, steps=1, method="gradient", init=init, lr=0.3)
    z = with_W(init).infer(y)
    n_j = torch.bincount(z, minlength=5).to(torch.float64)
    means = torch.stack([y[z == j].mean(dim=0) for j in range(5)], dim=1)
    expected = init - 0.3 * (2 * n_j / len(y)) * (init - means)  # W - lr * dL/dW
    assert torch.allclose(one.W, expected, atol=1e-12)
    slow = KMeansEBM(5).fit(y, steps=30, method="gradient", init=init, lr=0.3)
    fast = KMeansEBM(5).fit(y, steps=30, method="coordinate", init=init)
    assert slow.history[-1] < slow.history[0]
    assert fast.history[-1] <= slow.history[-1]


def test_gradient_with_lr_n_over_2n_j_per_column_is_one_lloyd_step():
    y = blobs(200)
    init = kmeans_plusplus(y, 1, seed=0)
    # one cluster: n_j = n, so lr = 1/2 makes the step land on the mean exactly
    step = KMeansEBM(1).fit(y, steps=1, method="gradient", init=init, lr=0.5)
    assert torch.allclose(step.W[:, 0], y.mean(dim=0), atol=1e-12)


def test_empty_clusters_are_refilled_deterministically_by_the_farthest_points():
    y = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.1], [5.0, 5.0]], dtype=torch.float64)
    init = torch.tensor([[0.0, 100.0, 200.0], [0.0, 100.0, 200.0]], dtype=torch.float64)  # 2 and 3 empty
    a = KMeansEBM(3).fit(y, steps=20, init=init)
    b = KMeansEBM(3).fit(y, steps=20, init=init)
    assert torch.equal(a.W, b.W) and torch.isfinite(a.W).all()
    assert torch.bincount(a.infer(y), minlength=3).min() >= 1  # no cluster left empty
    assert a.history[-1] < a.history[0]


def test_k_equal_n_puts_every_point_on_its_own_prototype():
    y = blobs(12)
    model = KMeansEBM(12).fit(y, seed=0)
    assert model.free_energy(y).max() < 1e-12


def test_fit_is_reproducible_from_its_seed_and_follows_the_dtype():
    y = blobs(100).float()
    a = KMeansEBM(3).fit(y, seed=7)
    b = KMeansEBM(3).fit(y, seed=7)
    assert torch.equal(a.W, b.W) and a.W.dtype == torch.float32
    assert a.infer(y).dtype == torch.long


def test_kmeans_plusplus_picks_distinct_data_points():
    y = blobs(50)
    W = kmeans_plusplus(y, 6, seed=2)
    assert W.shape == (2, 6)
    rows = {tuple(c.tolist()) for c in W.T}
    assert len(rows) == 6 and rows <= {tuple(p.tolist()) for p in y}
    dup = torch.zeros(5, 2, dtype=torch.float64)  # all points equal: still k distinct rows of y
    assert kmeans_plusplus(dup, 3).shape == (2, 3)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("k", "exc", "match"),
    [
        (0, ValueError, "k must be >= 1"),
        (-2, ValueError, "k must be >= 1"),
        (2.5, TypeError, "k must be an integer"),
        (True, TypeError, "k"),
    ],
)
def test_bad_k_is_rejected(k, exc, match):
    with pytest.raises(exc, match=match):
        KMeansEBM(k)


def test_bad_fit_arguments_are_rejected_with_the_argument_named():
    y = blobs(10)
    with pytest.raises(ValueError, match="k must be <= the number of points"):
        KMeansEBM(11).fit(y)
    with pytest.raises(ValueError, match="y must have 2 dimension"):
        KMeansEBM(2).fit(y[:, 0])
    with pytest.raises(ValueError, match="y must not be empty"):
        KMeansEBM(2).fit(torch.zeros(0, 2))
    bad = y.clone()
    bad[3, 1] = float("nan")
    with pytest.raises(ValueError, match="y contains NaN"):
        KMeansEBM(2).fit(bad)
    bad[3, 1] = float("inf")
    with pytest.raises(ValueError, match="y contains inf"):
        KMeansEBM(2).fit(bad)
    with pytest.raises(ValueError, match="method must be one of"):
        KMeansEBM(2).fit(y, method="lloyd")
    with pytest.raises(ValueError, match="steps must be >= 1"):
        KMeansEBM(2).fit(y, steps=0)
    with pytest.raises(ValueError, match="init must have shape"):
        KMeansEBM(2).fit(y, init=torch.zeros(2, 3))
    with pytest.raises(ValueError, match="init contains NaN"):
        KMeansEBM(2).fit(y, init=torch.full((2, 2), float("nan")))
    with pytest.raises(ValueError, match="lr must be > 0"):
        KMeansEBM(2).fit(y, method="gradient", lr=-1.0)
    with pytest.raises(ValueError, match="tol must be"):
        KMeansEBM(2).fit(y, tol=-1.0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        KMeansEBM(2).fit(y, seed=-1)
    with pytest.raises(TypeError, match="y must be a torch.Tensor"):
        KMeansEBM(2).fit("points")
    with pytest.raises(ValueError, match="diverged"):
        KMeansEBM(1).fit(100 * y, steps=200, method="gradient", lr=50.0)
    with pytest.raises(ValueError, match="overflow"):
        KMeansEBM(2).fit(1e160 * y)


def test_bad_inference_arguments_are_rejected_with_the_argument_named():
    model = KMeansEBM(3)
    with pytest.raises(ValueError, match="W is not set"):
        model.infer(torch.zeros(2, 2))
    with pytest.raises(ValueError, match="W must have shape"):
        model.W = torch.zeros(2, 4)
    with pytest.raises(ValueError, match="W contains NaN"):
        model.W = torch.full((2, 3), float("nan"))
    model.W = torch.zeros(2, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="y must have d = 2 columns"):
        model.infer(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="y contains NaN"):
        model.free_energy(torch.tensor([[0.0, float("nan")]]))
    with pytest.raises(ValueError, match="beta must be > 0"):
        model.free_energy(torch.zeros(1, 2), beta=0.0)
    with pytest.raises(ValueError, match="beta must be > 0"):
        model.free_energy(torch.zeros(1, 2), beta=float("nan"))
    with pytest.raises(ValueError, match="z must be one-hot"):
        model.energy(torch.zeros(2, 2), torch.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="z must have shape"):
        model.energy(torch.zeros(2, 2), torch.eye(3))
    with pytest.raises(ValueError, match="overflow"):
        model.free_energy(torch.full((1, 2), 1e160, dtype=torch.float64))
    with pytest.raises(ValueError, match="z must hold values in"):
        model.energy(torch.zeros(2, 2), torch.tensor([0, 3]))
