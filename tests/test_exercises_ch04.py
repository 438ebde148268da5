"""ebm_course.exercises.ch04 (K-means as an EBM): each check passes right answers and gives a hint, in
both languages, for the typical wrong ones; in strict mode a failed check raises."""

from __future__ import annotations

import math

import pytest
import torch

import ebm_course as ec
from ebm_course import exercises


def _z_step(y, W):
    return torch.cdist(y, W.T).argmin(dim=1)


def _lloyd_step(y, W):
    z = _z_step(y, W)
    W_new = W.clone()
    for j in range(W.shape[1]):
        if (z == j).any():
            W_new[:, j] = y[z == j].mean(dim=0)
    return W_new


def _free_energy(y, W, beta):
    E = torch.cdist(y, W.T).square()
    return -(torch.logsumexp(-beta * E, dim=1) - math.log(W.shape[1])) / beta


def test_exercise_checks_pass_right_answers(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    assert exercises.check_z_step(_z_step)
    assert exercises.check_lloyd_step(_lloyd_step)
    assert exercises.check_free_energy_kmeans(_free_energy)


def test_exercise_checks_fail_wrong_answers_with_a_hint_in_both_languages(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    res = exercises.check_z_step(lambda y, W: torch.cdist(y, W.T).argmax(dim=1), lang="en")
    assert not res and "largest energy" in res.message
    res = exercises.check_z_step(lambda y, W: torch.cdist(y, W.T).argmax(dim=1), lang="ko")
    assert not res and "힌트" in res.message

    def nan_step(y, W):
        z = _z_step(y, W)
        return torch.stack([y[z == j].mean(dim=0) for j in range(W.shape[1])], dim=1)

    res = exercises.check_lloyd_step(nan_step, lang="en")
    assert not res and "nan" in res.message

    def one_hot(y, W):
        return torch.nn.functional.one_hot(_z_step(y, W), W.shape[1])

    wrong_z = {
        "not a one-hot": one_hot,
        "counts from 0": lambda y, W: _z_step(y, W) + 1,
        "||w_j||² term is missing": lambda y, W: (y @ W).argmax(dim=1),
    }
    for words, fn in wrong_z.items():
        res = exercises.check_z_step(fn, lang="en")
        assert not res and words in res.message, res.message

    def sums_only(y, W):
        z = _z_step(y, W)
        return torch.zeros_like(W).index_add_(1, z, y.T)

    wrong_w = {
        "did not change": lambda y, W: W,
        "divide by their number": sums_only,
        "keep its old value": lambda y, W: torch.nan_to_num(nan_step(y, W), nan=0.0),
        "gradient step": lambda y, W: 0.5 * (W + _lloyd_step(y, W)),
    }
    for words, fn in wrong_w.items():
        res = exercises.check_lloyd_step(fn, lang="en")
        assert not res and words in res.message, res.message
    res = exercises.check_lloyd_step(lambda y, W: W, lang="ko")
    assert not res and "힌트" in res.message

    def no_mean(y, W, beta):
        return -torch.logsumexp(-beta * torch.cdist(y, W.T).square(), dim=1) / beta

    res = exercises.check_free_energy_kmeans(no_mean, lang="en")
    assert not res and "1/k" in res.message

    res = exercises.check_free_energy_kmeans(lambda y, W, beta: torch.cdist(y, W.T).square().amin(dim=1), lang="en")
    assert not res and "F_∞" in res.message

    def unstable(y, W, beta):
        E = torch.cdist(y, W.T).square()
        return -torch.log(torch.exp(-beta * E).mean(dim=1)) / beta

    res = exercises.check_free_energy_kmeans(unstable, lang="en")
    assert not res and "logsumexp" in res.message

    def not_done(y, W):
        raise NotImplementedError

    res = exercises.check_z_step(not_done, lang="en")
    assert not res and "not implemented" in res.message


def test_exercise_checks_raise_in_strict_mode(monkeypatch):
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError):
        exercises.check_z_step(lambda y, W: torch.zeros(len(y), dtype=torch.long))


def test_exercise_checks_refuse_the_packages_own_steps(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    model = ec.KMeansEBM(3)
    model.W = torch.zeros(2, 3, dtype=torch.float64)
    for fn in (ec.kmeans.z_step, model.infer):
        res = exercises.check_z_step(fn, lang="en")
        assert not res and "write it yourself" in res.message
    for fn in (ec.kmeans.w_step, ec.kmeans.z_step):
        res = exercises.check_lloyd_step(fn, lang="ko")
        assert not res and "직접" in res.message
    # a student's own Lloyd step may still use the readable z-step it wrote, or the package's
    assert exercises.check_lloyd_step(lambda y, W: ec.kmeans.w_step(y, _z_step(y, W), W))
