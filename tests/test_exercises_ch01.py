"""The exercise checks of chapter 1 (self-supervised learning): right answers written other ways pass; typical wrong ones, a
constant and unfinished code fail with a hint, in both languages."""

from __future__ import annotations

import matplotlib
import pytest
import torch

import ebm_course as ec
from ebm_course.exercises import ch01

matplotlib.use("Agg")


# ---------------------------------------------------------------- exercise checks


def _weighted(futures, p):
    return p @ futures


def _by_loop(futures, p):
    out = torch.zeros(futures.shape[1], dtype=futures.dtype)
    for k in range(len(p)):
        out = out + p[k] * futures[k]
    return out


def _by_optimiser(futures, p):
    y_hat = torch.zeros(futures.shape[1], requires_grad=True, dtype=futures.dtype)
    opt = torch.optim.SGD([y_hat], lr=0.5)
    for _ in range(100):
        opt.zero_grad()
        (p[:, None] * (futures - y_hat).square()).sum().backward()
        opt.step()
    return y_hat.detach()


def _frequencies(counts):
    return counts / counts.sum()


def _latent(y, y_bar):
    return (y[:, None] - y_bar).square().sum(dim=2).min(dim=1).values.mean()


def _latent_loop(y, y_bar):
    return sum(
        min(float(((y[i] - y_bar[i, z]) ** 2).sum()) for z in range(y_bar.shape[1])) for i in range(len(y))
    ) / len(y)


def _latent_with_free_energy(y, y_bar):
    return ec.free_energy((y[:, None] - y_bar).square().sum(dim=2)).mean()


@pytest.mark.parametrize(
    ("check", "fn", "passes", "hint"),
    [
        ("check_squared_error_optimum", _weighted, True, ""),
        ("check_squared_error_optimum", _by_loop, True, ""),
        ("check_squared_error_optimum", lambda f, p: (p[:, None] * f).sum(0).float(), True, ""),
        ("check_squared_error_optimum", lambda f, p: f[p.argmax()], False, "most likely future"),
        ("check_squared_error_optimum", lambda f, p: f.mean(dim=0), False, "equal weights"),
        ("check_squared_error_optimum", lambda f, p: torch.full((f.shape[1],), 0.5), False, "differentiate"),
        ("check_squared_error_optimum", lambda f, p: p[:, None] * f, False, "one frame"),
        ("check_squared_error_optimum", _by_optimiser, False, "without torch.optim"),
        ("check_cross_entropy_optimum", _frequencies, True, ""),
        ("check_cross_entropy_optimum", lambda n: torch.softmax(torch.log(n), dim=0), True, ""),
        ("check_cross_entropy_optimum", lambda n: torch.softmax(n, dim=0), False, "softmax of the counts"),
        ("check_cross_entropy_optimum", lambda n: n, False, "sum to 1"),
        (
            "check_cross_entropy_optimum",
            lambda n: torch.nn.functional.one_hot(n.argmax(), len(n)).double(),
            False,
            "most frequent",
        ),
        ("check_cross_entropy_optimum", lambda n: torch.full(n.shape, 1 / len(n)), False, "same probability"),
        ("check_cross_entropy_optimum", lambda n: n.sqrt() / n.sqrt().sum(), False, "Lagrange"),
        ("check_latent_loss", _latent, True, ""),
        ("check_latent_loss", _latent_loop, True, ""),
        ("check_latent_loss", lambda y, yb: (y[:, None] - yb).square().sum(2).mean(1).mean(), False, "averaged over z"),
        ("check_latent_loss", lambda y, yb: (y[:, None] - yb).square().sum(2).amax(1).mean(), False, "maximum"),
        ("check_latent_loss", lambda y, yb: (y[:, None] - yb).norm(dim=2).amin(1).mean(), False, "squared norm"),
        ("check_latent_loss", lambda y, yb: (y[:, None] - yb).square().sum(2).amin(1).sum(), False, "not the sum"),
        ("check_latent_loss", lambda y, yb: (y[:, None] - yb).square().sum(2).amin(1), False, "one finite number"),
        ("check_latent_loss", lambda y, yb: 1.0, False, "compute E"),
        ("check_latent_loss", _latent_with_free_energy, False, "without free_energy"),
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


def test_banned_shortcuts_are_restored_after_the_check(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    before = (ec.free_energy, ec.energy.free_energy, torch.optim.Optimizer.__init__)
    ch01.check_latent_loss(_latent_with_free_energy, lang="en")
    ch01.check_squared_error_optimum(_by_optimiser, lang="en")
    assert (ec.free_energy, ec.energy.free_energy, torch.optim.Optimizer.__init__) == before
    assert ec.free_energy(torch.tensor([3.0, 1.0])).item() == 1.0


def test_pass_messages_do_not_print_the_answer(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    for lang in ("en", "ko"):
        for res in (
            ch01.check_squared_error_optimum(_weighted, lang=lang),
            ch01.check_cross_entropy_optimum(_frequencies, lang=lang),
            ch01.check_latent_loss(_latent, lang=lang),
        ):
            assert res.passed
            assert not any(ch.isdigit() for ch in res.message.replace("F_∞", ""))


def test_exercise_checks_report_unfinished_code(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)

    def unfinished(*args):
        raise NotImplementedError

    for check in ch01.__all__:
        res = getattr(ch01, check)(unfinished, lang="en")
        assert not res.passed and "not implemented" in res.message
    assert set(ch01.__all__) <= set(ec.exercises.__all__)
