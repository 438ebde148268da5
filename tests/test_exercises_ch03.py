"""ebm_course.exercises.ch03 (latent-variable EBMs): each check passes right answers, however they are
written, and gives a hint for the typical wrong ones; in strict mode a failed check raises."""

from __future__ import annotations

import math

import pytest
import torch

import ebm_course as ec
from ebm_course import latent
from ebm_course.exercises import ch03


def _soft_min(E, beta):
    return -(torch.logsumexp(-beta * E, dim=1) - math.log(E.shape[1])) / beta


def _infer(y, z, w):
    g = torch.stack([w[0] * torch.cos(z), w[1] * torch.sin(z)], dim=1)
    return z[((y[:, None, :] - g[None]) ** 2).sum(-1).argmin(1)]


def _mean_energy(y, w):
    return (y**2).sum(1) + (w**2).sum() / 2


@pytest.fixture
def lenient(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)


def _soft_min_shifted(E, beta):
    m = E.min(dim=-1, keepdim=True).values
    return (m - torch.log(torch.exp(-beta * (E - m)).mean(dim=-1, keepdim=True)) / beta).squeeze(-1)


def _infer_cdist(y, z, w):
    g = torch.stack([w[0] * z.cos(), w[1] * z.sin()], dim=-1)
    return z[torch.cdist(y, g).argmin(dim=-1)]


def _mean_energy_grid(y, w):
    z = torch.linspace(0, 2 * math.pi, 1001, dtype=torch.float64)[:-1]
    g = torch.stack([w[0] * z.cos(), w[1] * z.sin()], dim=-1)
    return ((y[:, None, :] - g[None]) ** 2).sum(-1).mean(-1)


def test_checks_pass_right_answers_written_differently():
    assert ch03.check_soft_min(_soft_min_shifted, lang="en").passed
    assert ch03.check_soft_min(lambda E, b: latent.energy.free_energy(E, b), lang="en").passed
    assert ch03.check_infer_exhaustive(_infer_cdist, lang="en").passed
    assert ch03.check_mean_energy(_mean_energy_grid, lang="en").passed
    assert ch03.check_mean_energy(lambda y, w: y[:, 0] ** 2 + y[:, 1] ** 2 + 0.5 * w @ w, lang="en").passed


def test_checks_pass_the_right_answers():
    assert ch03.check_soft_min(_soft_min, lang="en").passed
    assert ch03.check_infer_exhaustive(_infer, lang="ko").passed
    assert ch03.check_mean_energy(_mean_energy, lang="en").passed
    assert set(ch03.__all__) <= set(ec.exercises.__all__)


@pytest.mark.parametrize(
    "check, wrong, hint",
    [
        (ch03.check_soft_min, lambda E, b: -torch.logsumexp(-b * E, dim=1) / b, "mean over z"),
        (ch03.check_soft_min, lambda E, b: -torch.log(torch.exp(-b * E).mean(1)) / b, "nan or inf"),
        (ch03.check_soft_min, lambda E, b: E.min(1).values, "wrong values"),
        (ch03.check_soft_min, lambda E, b: E.min(), "shape"),
        (ch03.check_infer_exhaustive, lambda y, z, w: _infer(-y, z, w) * 0 + z[0], "argmin along axis 1"),
        (ch03.check_infer_exhaustive, lambda y, z, w: z[:3], "shape"),
        (ch03.check_mean_energy, lambda y, w: (y**2).sum(1), "the mean of ||g(z)||² is missing"),
        (ch03.check_mean_energy, lambda y, w: (y**2).sum(1) + (w**2).sum(), "1/2, not 1"),
        (ch03.check_mean_energy, lambda y, w: (w**2).sum() / 2 + 0 * y[:, 0], "expand"),
        (ch03.check_soft_min, lambda E, b: -b * (torch.logsumexp(-b * E, dim=1) - math.log(E.shape[1])), "instead of"),
        (ch03.check_soft_min, lambda E, b: (torch.logsumexp(-b * E, dim=1) - math.log(E.shape[1])) / b, "signs"),
        (ch03.check_mean_energy, lambda y, w: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_checks_give_a_hint_for_wrong_answers(lenient, check, wrong, hint):
    res = check(wrong, lang="en")
    assert not res.passed and hint in res.message


def test_checks_spot_argmax_and_indices(lenient):
    def argmax(y, z, w):
        g = torch.stack([w[0] * torch.cos(z), w[1] * torch.sin(z)], dim=1)
        return z[((y[:, None, :] - g[None]) ** 2).sum(-1).argmax(1)]

    def indices(y, z, w):
        g = torch.stack([w[0] * torch.cos(z), w[1] * torch.sin(z)], dim=1)
        return ((y[:, None, :] - g[None]) ** 2).sum(-1).argmin(1)

    assert "argmax" in ch03.check_infer_exhaustive(argmax, lang="en").message
    assert "indices" in ch03.check_infer_exhaustive(indices, lang="en").message
    assert "힌트" in ch03.check_infer_exhaustive(indices, lang="ko").message


def test_strict_mode_raises_on_a_wrong_answer(monkeypatch):
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="mean over z"):
        ch03.check_soft_min(lambda E, b: -torch.logsumexp(-b * E, dim=1) / b, lang="en")
