"""The exercise checks of chapter 7 (contrastive divergence and the samplers): right answers written other ways pass; typical wrong ones, a
constant and unfinished code fail with a hint, in both languages."""

from __future__ import annotations

import math

import pytest
import torch

import ebm_course as ec
from ebm_course import samplers


def _E(y):
    return 0.5 * y.square().sum(dim=1)


def _y(n=200, d=2, seed=0):
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


# ---------------------------------------------------------------- the chapter's exercise checks


def _langevin_autograd(E, y, s, b, g):
    y = y.detach().requires_grad_(True)
    (grad,) = torch.autograd.grad(E(y).sum(), y)
    return (y - s * grad + math.sqrt(2 * s / b) * torch.randn(y.shape, generator=g, dtype=y.dtype)).detach()


def _langevin_with(scale_noise=1.0, sign=-1.0, beta_power=1.0, var_factor=2.0, sqrt=True):
    def fn(E, y, s, b, g):
        _, grad = samplers.energy_grad(E, y)
        var = var_factor * s / b**beta_power
        noise = torch.randn(y.shape, generator=g, dtype=y.dtype)
        return y + sign * s * grad + scale_noise * (math.sqrt(var) if sqrt else var) * noise

    return fn


def _grad_norm_autograd(model, y, y_neg):
    (g,) = torch.autograd.grad(model(y).mean() - model(y_neg).mean(), model.W)
    return g.norm().item()


def _grad_norm_backward(model, y, y_neg):
    model.W.grad = None
    (model(y).mean() - model(y_neg).mean()).backward()
    return model.W.grad.norm()  # a 0-d tensor is accepted too


@pytest.mark.parametrize(
    ("check", "fn", "passes", "hint"),
    [
        # right answers, written other ways (and the package's own function)
        ("check_langevin_step", _langevin_autograd, True, ""),
        ("check_langevin_step", lambda E, y, s, b, g: ec.langevin(E, y, 1, s, b, generator=g), True, ""),
        ("check_langevin_step", _langevin_with(), True, ""),
        # typical wrong ones
        ("check_langevin_step", _langevin_with(sign=1.0), False, "subtract the gradient"),
        ("check_langevin_step", _langevin_with(beta_power=0.0), False, "β is missing"),
        ("check_langevin_step", _langevin_with(sqrt=False), False, "square root"),
        ("check_langevin_step", _langevin_with(var_factor=1.0), False, "the 2 is missing"),
        ("check_langevin_step", _langevin_with(scale_noise=0.0), False, "not samples"),
        ("check_langevin_step", lambda E, y, s, b, g: y, False, "wrong values"),
        ("check_langevin_step", lambda E, y, s, b, g: 0.0, False, "same shape"),
        ("check_metropolis_acceptance", lambda a, b, beta: ec.samplers.metropolis_acceptance(a, b, beta), True, ""),
        ("check_metropolis_acceptance", lambda a, b, beta: torch.exp(-beta * (b - a)).clamp(max=1.0), True, ""),
        ("check_metropolis_acceptance", lambda a, b, beta: torch.exp(-beta * torch.relu(b - a)), True, ""),
        ("check_metropolis_acceptance", lambda a, b, beta: torch.exp(-beta * (b - a)), False, "inf or nan"),
        ("check_metropolis_acceptance", lambda a, b, beta: torch.exp(-beta * (b - a).clamp(min=-5)), False, "above 1"),
        (
            "check_metropolis_acceptance",
            lambda a, b, beta: torch.exp(torch.clamp(beta * (b - a), max=0)),
            False,
            "sign",
        ),
        ("check_metropolis_acceptance", lambda a, b, beta: torch.exp(torch.clamp(a - b, max=0)), False, "β is missing"),
        ("check_metropolis_acceptance", lambda a, b, beta: torch.ones_like(a), False, "wrong values"),
        ("check_metropolis_acceptance", lambda a, b, beta: 1.0, False, "one probability per proposal"),
        (
            "check_metropolis_acceptance",
            lambda a, b, beta: torch.exp(-beta * (b - a)) * 0 + math.nan,
            False,
            "inf or nan",
        ),
        ("check_cd_grad_norm", _grad_norm_autograd, True, ""),
        ("check_cd_grad_norm", _grad_norm_backward, True, ""),
        (
            "check_cd_grad_norm",
            lambda m, y, n: (m.features(y).mean(0) - m.features(n).mean(0)).norm().item(),
            True,
            "",
        ),
        (
            "check_cd_grad_norm",
            lambda m, y, n: (m.features(y).sum(0) - m.features(n).sum(0)).norm().item(),
            False,
            "not sums",
        ),
        ("check_cd_grad_norm", lambda m, y, n: m.features(y).mean(0).norm().item(), False, "negatives' term"),
        ("check_cd_grad_norm", lambda m, y, n: m.features(n).mean(0).norm().item(), False, "data's term"),
        (
            "check_cd_grad_norm",
            lambda m, y, n: (m.features(y).mean(0) + m.features(n).mean(0)).norm().item(),
            False,
            "subtract",
        ),
        ("check_cd_grad_norm", lambda m, y, n: _grad_norm_autograd(m, y, n) ** 2, False, "not its square"),
        (
            "check_cd_grad_norm",
            lambda m, y, n: m.features(y).mean(0) - m.features(n).mean(0),
            False,
            "not the gradient itself",
        ),
        ("check_cd_grad_norm", lambda m, y, n: 1.0, False, "wrong value"),
    ],
)
def test_exercise_checks_pass_right_answers_and_explain_wrong_ones(check, fn, passes, hint, monkeypatch):
    from ebm_course import exercises

    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    res = getattr(exercises, check)(fn, lang="en")
    assert res.passed is passes, res.message
    assert hint in res.message
    assert getattr(exercises, check)(fn, lang="ko").message != res.message
    if not passes:
        monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
        with pytest.raises(AssertionError):
            getattr(exercises, check)(fn)


def test_exercise_checks_report_errors_and_unfinished_code(monkeypatch):
    from ebm_course import exercises

    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)

    def unfinished(*args):
        raise NotImplementedError

    def broken(*args):
        raise RuntimeError("boom")

    for check in exercises.ch07.__all__:
        res = getattr(exercises, check)(unfinished, lang="en")
        assert not res.passed and "not implemented" in res.message
        res = getattr(exercises, check)(broken, lang="en")
        assert not res.passed and "boom" in res.message


def test_pass_messages_do_not_give_the_answer_away(monkeypatch):
    from ebm_course import exercises

    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    res = exercises.check_cd_grad_norm(_grad_norm_autograd, lang="en")
    assert res.passed and not any(ch.isdigit() for ch in res.message)
