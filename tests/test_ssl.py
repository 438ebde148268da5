"""Chapter 1: the data of the pretext tasks, least squares, the softmax, the latent model, the exercise checks."""

from __future__ import annotations

import math

import matplotlib
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import ebm_course as ec
from ebm_course import data, ssl

matplotlib.use("Agg")


# ---------------------------------------------------------------- data


def test_blob_frames_have_a_unit_peak_at_each_whole_pixel_centre():
    frames = data.blob_frames(torch.tensor([3.0, 10.0]), width=16, blob=1.0)
    assert frames.shape == (2, 16) and frames.dtype == torch.float64
    assert frames.argmax(dim=1).tolist() == [3, 10]
    assert torch.allclose(frames.max(dim=1).values, torch.ones(2, dtype=torch.float64))
    assert math.isclose(frames[0, 4].item(), math.exp(-0.5))


def test_two_way_video_moves_each_blob_one_step_left_or_right():
    video = data.TwoWayVideo(3000, width=32, step=4, seed=1)
    assert torch.equal(video.next - video.now, torch.where(video.left, -4, 4))
    assert torch.equal(video.x.argmax(dim=1), video.now) and torch.equal(video.y.argmax(dim=1), video.next)
    assert abs(video.left.double().mean().item() - 0.5) < 0.03
    assert video.now.min() >= 5 and video.now.max() <= 26  # both futures stay inside the frame
    assert set(video.now.tolist()) == set(video.positions.tolist())


def test_two_way_video_futures_are_the_left_and_the_right_frames():
    video = data.TwoWayVideo(10, seed=0)
    f = video.futures(video.now.double())
    assert f.shape == (10, 2, 32)
    assert torch.equal(f[:, 0].argmax(dim=1), video.now - 4) and torch.equal(f[:, 1].argmax(dim=1), video.now + 4)
    observed = torch.where(video.left[:, None], f[:, 0], f[:, 1])
    assert torch.allclose(observed, video.y)


@settings(max_examples=25, deadline=None)
@given(p=st.floats(0.0, 1.0), seed=st.integers(0, 2**31))
def test_two_way_video_goes_left_with_probability_p_left_and_is_reproducible(p, seed):
    a, b = data.TwoWayVideo(400, p_left=p, seed=seed), data.TwoWayVideo(400, p_left=p, seed=seed)
    assert torch.equal(a.y, b.y)
    frac = a.left.double().mean().item()
    assert abs(frac - p) < 4 * math.sqrt(p * (1 - p) / 400) + 1e-12


def test_wave_sequences_are_reproducible_and_smooth_without_noise():
    s = data.wave_sequences(50, length=40, noise=0.0, seed=3)
    assert s.shape == (50, 40) and torch.equal(s, data.wave_sequences(50, length=40, noise=0.0, seed=3))
    assert s.abs().max() <= 2.0
    assert (s[:, 1:] - s[:, :-1]).abs().max() < 2 * 0.8  # |ds/dt| <= sum of a * w <= 1.6
    noisy = data.wave_sequences(50, length=40, noise=0.1, seed=3)
    assert 0.07 < (noisy - s).std().item() < 0.13


@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: data.blob_frames(torch.zeros(2, 2)), ValueError, "centres must have 1 dimension"),
        (lambda: data.blob_frames(torch.tensor([math.nan])), ValueError, "centres contains NaN"),
        (lambda: data.blob_frames(torch.zeros(2), blob=0.0), ValueError, "blob must be > 0"),
        (lambda: data.blob_frames(torch.zeros(2), width="32"), TypeError, "width must be an integer"),
        (lambda: data.TwoWayVideo(0), ValueError, "n must be >= 1"),
        (lambda: data.TwoWayVideo(10, p_left=1.5), ValueError, r"p_left must be in \[0, 1\]"),
        (lambda: data.TwoWayVideo(10, p_left="0.5"), TypeError, "p_left must be a real number"),
        (lambda: data.TwoWayVideo(10, width=10, step=4), ValueError, "width must be >= 2 \\* step \\+ 3"),
        (lambda: data.TwoWayVideo(10, seed=-1), ValueError, "seed must be >= 0"),
        (lambda: data.wave_sequences(10, length=1), ValueError, "length must be >= 2"),
        (lambda: data.wave_sequences(10, noise=-0.1), ValueError, "noise must be >= 0"),
        (lambda: data.wave_sequences(10, noise="0.1"), TypeError, "noise must be a real number"),
    ],
)
def test_data_generators_reject_bad_arguments_naming_them(call, err, match):
    with pytest.raises(err, match=match):
        call()


# ---------------------------------------------------------------- pretext inputs and the conditional mean


def test_visible_input_zeroes_the_hidden_entries_and_appends_the_mask():
    y = torch.arange(1.0, 7.0).reshape(2, 3)
    hidden = torch.tensor([[True, False, False], [False, False, True]])
    x = ssl.visible_input(y, hidden)
    assert torch.equal(x[:, :3], torch.tensor([[0.0, 2.0, 3.0], [4.0, 5.0, 0.0]]))
    assert torch.equal(x[:, 3:], hidden.double())
    shared = ssl.visible_input(y, torch.tensor([0, 1, 0]))  # one mask for every row
    assert torch.equal(shared[:, 1], torch.zeros(2)) and torch.equal(shared[:, 4], torch.ones(2))


@pytest.mark.parametrize(
    ("y", "hidden", "err", "match"),
    [
        (torch.zeros(2, 3), torch.zeros(4), ValueError, "hidden must have shape"),
        (torch.zeros(2, 3), torch.full((3,), 0.5), ValueError, "hidden must hold only 0/1"),
        (torch.zeros(3), torch.zeros(3), ValueError, "y must have 2 dimension"),
        (torch.tensor([[math.nan, 0.0]]), torch.zeros(2), ValueError, "y contains NaN"),
        ("y", torch.zeros(2), TypeError, "y must be a torch.Tensor"),
    ],
)
def test_visible_input_rejects_bad_arguments(y, hidden, err, match):
    with pytest.raises(err, match=match):
        ssl.visible_input(y, hidden)


def test_conditional_mean_averages_y_over_equal_x():
    x = torch.tensor([[0.0], [1.0], [0.0], [1.0], [1.0]])
    y = torch.tensor([[2.0], [1.0], [4.0], [2.0], [6.0]])
    assert torch.equal(ssl.conditional_mean(x, y), torch.tensor([[3.0], [3.0], [3.0], [3.0], [3.0]]))
    assert torch.equal(ssl.conditional_mean(x, y[:, [0, 0]])[:, 1], torch.tensor([3.0, 3.0, 3.0, 3.0, 3.0]))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), groups=st.integers(1, 5))
def test_conditional_mean_has_the_least_squared_error_of_any_function_of_x(seed, groups):
    g = torch.Generator().manual_seed(seed)
    x = torch.randint(groups, (40, 1), generator=g).double()
    y = torch.randn(40, 3, generator=g, dtype=torch.float64)
    best = (y - ssl.conditional_mean(x, y)).square().sum()
    shift = torch.randn(groups, 3, generator=g, dtype=torch.float64)[x[:, 0].long()]  # another function of x
    assert best <= (y - ssl.conditional_mean(x, y) - 0.1 * shift).square().sum() + 1e-12


def test_conditional_mean_rejects_mismatched_rows():
    with pytest.raises(ValueError, match="y must have 3 rows"):
        ssl.conditional_mean(torch.zeros(3, 1), torch.zeros(4, 2))


# ---------------------------------------------------------------- models


def test_regressor_fit_returns_self_keeps_history_and_fits_a_linear_map():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 3, generator=g, dtype=torch.float64) * 0.5
    y = x @ torch.tensor([[1.0, -0.5], [0.3, 0.2], [0.0, 0.7]], dtype=torch.float64)
    model = ssl.Regressor(3, 2, hidden=16, seed=0)
    assert model.fit(x, y, steps=300, lr=2e-2, progress=False) is model
    assert len(model.history) == 300 and all(isinstance(v, float) for v in model.history)
    assert model.history[-1] < 0.01 * model.history[0]
    assert model.features(x).shape == (200, 16)


def test_regressor_weight_counts_only_the_hidden_entries():
    x = torch.zeros(50, 2, dtype=torch.float64)
    y = torch.cat([torch.ones(50, 1), 100 * torch.ones(50, 1)], dim=1).double()
    model = ssl.Regressor(2, 2, hidden=4, seed=0).fit(x, y, weight=torch.tensor([1, 0]), steps=200, progress=False)
    out = model.predict(x[:1])[0]
    assert abs(out[0].item() - 1.0) < 0.05 and abs(out[1].item() - 100) > 50  # the second output was never trained


def test_least_squares_on_the_two_way_video_learns_two_half_blobs():
    video = data.TwoWayVideo(800, seed=0)
    model = ssl.Regressor(32, 32, hidden=32, seed=0).fit(video.x, video.y, steps=300, lr=2e-2, progress=False)
    pred = model.predict(video.x)
    target = ssl.conditional_mean(video.x, video.y)
    assert (pred - target).square().sum(dim=1).max() < 0.05
    to_futures = (pred[:, None] - video.futures(video.now.double())).square().sum(dim=2)
    assert to_futures.min() > 0.2  # neither real future: a blend of both (a real one would be 0 away)


def test_softmax_on_the_two_way_video_puts_about_one_half_on_each_future():
    video = data.TwoWayVideo(800, seed=0)
    clf = ssl.Classifier(32, 32, hidden=32, seed=0).fit(video.x, video.next, steps=300, lr=2e-2, progress=False)
    q = clf.proba(video.x)
    rows = torch.arange(800)
    q_left, q_right = q[rows, video.now - 4], q[rows, video.now + 4]
    assert torch.allclose(q.sum(dim=1), torch.ones(800, dtype=torch.float64))
    assert abs(q_left.mean() - 0.5) < 0.05 and abs(q_right.mean() - 0.5) < 0.05
    assert (1 - q_left - q_right).max() < 0.03


def _worst_match(model, video):
    starts = video.positions.double()
    frames, futures = model.predict(data.blob_frames(starts)), video.futures(starts)
    same = (frames - futures).square().sum(dim=2).amax(dim=1)
    swapped = (frames - futures.flip(1)).square().sum(dim=2).amax(dim=1)
    return torch.minimum(same, swapped).max().item()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_latent_model_gives_one_sharp_future_per_z_at_every_start(seed):
    video = data.TwoWayVideo(600, seed=0)
    model = ssl.LatentRegressor(32, 32, k=2, hidden=32, seed=seed)
    assert model.fit(video.x, video.y, steps=300, lr=2e-2, progress=False) is model
    assert len(model.history) == 300
    assert _worst_match(model, video) < 0.15  # the blur would be 0.89 from each future
    assert model.history[-1] < 0.05


def test_without_annealing_min_over_z_can_leave_a_z_unused_somewhere():
    video = data.TwoWayVideo(600, seed=0)
    model = ssl.LatentRegressor(32, 32, k=2, hidden=32, seed=1)  # seed 1 passes the test above, annealed
    model.fit(video.x, video.y, steps=300, lr=2e-2, anneal=False, progress=False)
    assert _worst_match(model, video) > 0.5


def test_latent_model_energy_free_energy_and_inference_agree():
    video = data.TwoWayVideo(20, seed=0)
    model = ssl.LatentRegressor(32, 32, k=3, hidden=8, seed=0)
    E = model.energy(video.x, video.y)
    assert E.shape == (20, 3) and (E >= 0).all()
    assert torch.equal(model.free_energy(video.x, video.y), E.amin(dim=1))
    assert torch.equal(model.infer(video.x, video.y), E.argmin(dim=1))
    frames = model.predict(video.x)
    assert torch.allclose(E, (video.y[:, None] - frames).square().sum(dim=2))


def test_fit_is_reproducible_from_its_seed():
    video = data.TwoWayVideo(100, seed=0)
    runs = [ssl.Classifier(32, 32, hidden=8).fit(video.x, video.next, steps=20, batch_size=30, seed=4, progress=False)]
    runs.append(
        ssl.Classifier(32, 32, hidden=8).fit(video.x, video.next, steps=20, batch_size=30, seed=4, progress=False)
    )
    assert runs[0].history == runs[1].history


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"steps": 0}, ValueError, "steps must be >= 1"),
        ({"steps": 2.0}, TypeError, "steps must be an integer"),
        ({"lr": "0.1"}, TypeError, "lr must be a real number"),
        ({"lr": -1.0}, ValueError, "lr must be > 0"),
        ({"batch_size": 0}, ValueError, "batch_size must be >= 1"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
    ],
)
def test_every_fit_rejects_bad_options(kwargs, err, match):
    video = data.TwoWayVideo(10, seed=0)
    with pytest.raises(err, match=match):
        ssl.Regressor(32, 32, hidden=4).fit(video.x, video.y, progress=False, **kwargs)
    with pytest.raises(err, match=match):
        ssl.Classifier(32, 32, hidden=4).fit(video.x, video.next, progress=False, **kwargs)
    with pytest.raises(err, match=match):
        ssl.LatentRegressor(32, 32, hidden=4).fit(video.x, video.y, progress=False, **kwargs)


def test_models_reject_bad_data_and_labels():
    video = data.TwoWayVideo(10, seed=0)
    with pytest.raises(ValueError, match=r"x must have shape \(n, 32\)"):
        ssl.Regressor(32, 32).predict(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="y must have 10 rows"):
        ssl.Regressor(32, 32).fit(video.x, video.y[:4], progress=False)
    with pytest.raises(ValueError, match="weight must have shape"):
        ssl.Regressor(32, 32).fit(video.x, video.y, weight=torch.ones(5), progress=False)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 31\]"):
        ssl.Classifier(32, 32).fit(video.x, video.next + 40, progress=False)
    with pytest.raises(TypeError, match="labels must be integers"):
        ssl.Classifier(32, 32).fit(video.x, video.next.double() + 0.5, progress=False)
    with pytest.raises(ValueError, match=r"labels must have shape \(10,\)"):
        ssl.Classifier(32, 32).fit(video.x, video.next[:3], progress=False)
    with pytest.raises(ValueError, match="k must be >= 2"):
        ssl.Classifier(32, 1)
    with pytest.raises(TypeError, match="anneal must be True or False"):
        ssl.LatentRegressor(32, 32).fit(video.x, video.y, anneal=1, progress=False)
    with pytest.raises(ValueError, match="beta0 must be > 0"):
        ssl.LatentRegressor(32, 32).fit(video.x, video.y, beta0=0.0, progress=False)
    with pytest.raises(ValueError, match="hidden must be >= 1"):
        ssl.Regressor(3, 3, hidden=0)


def test_fit_reports_divergence_instead_of_returning_nan():
    x = torch.ones(8, 2, dtype=torch.float64)
    with pytest.raises(ValueError, match="diverged"):
        ssl.Regressor(2, 2, hidden=4).fit(x, x * 1e200, steps=5, progress=False)


# ---------------------------------------------------------------- the downstream test and the diagram


def test_linear_probe_reads_a_linearly_separable_label_perfectly():
    g = torch.Generator().manual_seed(0)
    f = torch.randn(200, 4, generator=g, dtype=torch.float64)
    labels = (f[:, 0] > 0).long()
    assert ssl.linear_probe(f[:100], labels[:100], f[100:], labels[100:]) > 0.95
    noise = torch.randn(200, 4, generator=g, dtype=torch.float64)
    assert ssl.linear_probe(noise[:100], labels[:100], noise[100:], labels[100:]) < 0.75


def test_linear_probe_rejects_bad_arguments():
    f = torch.zeros(10, 3)
    with pytest.raises(ValueError, match="features_test must have shape"):
        ssl.linear_probe(f, torch.arange(10) % 2, torch.zeros(4, 2), torch.zeros(4))
    with pytest.raises(ValueError, match="labels_train must have shape"):
        ssl.linear_probe(f, torch.zeros(3), f, torch.zeros(10))
    with pytest.raises(ValueError, match="at least two classes"):
        ssl.linear_probe(f, torch.zeros(10), f, torch.zeros(10))
    with pytest.raises(ValueError, match="C must be > 0"):
        ssl.linear_probe(f, torch.arange(10) % 2, f, torch.zeros(10), C=0)


def test_draw_pretext_tasks_draws_visible_and_hidden_cells_and_renames_labels():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ssl.draw_pretext_tasks(ax, labels={"time": "시간"})
    hidden = [p for p in ax.patches if p.get_facecolor()[:3] != matplotlib.colors.to_rgb(ec.diagram.GREY)]
    assert len(ax.patches) == 16 + 16 + 32 + 2 and 5 + 6 < len(hidden) < 30
    assert "시간" in [t.get_text() for t in ax.texts]
    with pytest.raises(ValueError, match="labels may only rename"):
        ssl.draw_pretext_tasks(ax, labels={"futur": "x"})
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        ssl.draw_pretext_tasks("ax")
    plt.close(fig)
