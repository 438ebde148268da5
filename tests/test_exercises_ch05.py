"""ebm_course.exercises.ch05 (the denoising autoencoder): each check passes right answers and explains
the typical wrong ones, in both languages; in strict mode a failed check raises."""

from __future__ import annotations

import numpy as np
import pytest
import torch


def _right_mask(y, p, generator):
    return y * (torch.rand(y.shape, generator=generator, dtype=y.dtype) >= p)


def _dropout(y, p, generator):
    return _right_mask(y, p, generator) / (1 - p)


def _swapped(y, p, generator):
    return y * (torch.rand(y.shape, generator=generator, dtype=y.dtype) < p)


def _column_mask(y, p, generator):
    return y * (torch.rand(1, y.shape[1], generator=generator, dtype=y.dtype) >= p)


def _float32_mask(y, p, generator):
    return y.float().masked_fill(torch.rand(y.shape, generator=generator) < p, 0.0)


def _energy(model, y):
    return (y - model.decoder(model.encoder(y))).square().sum(dim=1)


def _slope(d, E):
    x, v = d.log() - d.log().mean(), E.log()
    return ((x * (v - v.mean())).sum() / x.square().sum()).item()


@pytest.mark.parametrize(
    ("check", "fn", "passes", "hint"),
    [
        ("check_mask_noise", _right_mask, True, ""),
        ("check_mask_noise", _dropout, False, "dropout"),
        ("check_mask_noise", _swapped, False, "swapped"),
        ("check_mask_noise", _float32_mask, True, ""),
        ("check_mask_noise", _column_mask, False, "entry by entry"),
        ("check_mask_noise", lambda y, p, g: y + 0.1 * (torch.rand(y.shape, generator=g) < p), False, "add no noise"),
        ("check_dae_energy", _energy, True, ""),
        ("check_dae_energy", lambda m, y: _energy(m, y).sqrt(), False, "squared norm"),
        ("check_dae_energy", lambda m, y: _energy(m, y).sum(), False, "one energy per point"),
        ("check_dae_energy", lambda m, y: (y - m(y)).norm(dim=1) ** 2, True, ""),
        ("check_dae_energy", lambda m, y: _energy(m, y) / 3, False, "not the mean"),
        ("check_dae_energy", lambda m, y: _energy(m, y + 0.1), False, "Corruption is for training only"),
        ("check_growth_exponent", _slope, True, ""),
        ("check_growth_exponent", lambda d, E: np.polyfit(np.log10(d.numpy()), np.log10(E.numpy()), 1)[:1], True, ""),
        ("check_growth_exponent", lambda d, E: _slope(d.float(), E.float()), True, ""),
        (
            "check_growth_exponent",
            lambda d, E: np.polyfit(np.log(d.numpy()), np.log(E.numpy()), 1)[1],
            False,
            "least-squares slope",
        ),
        ("check_growth_exponent", lambda d, E: 2.0, False, "least-squares slope"),
        ("check_growth_exponent", lambda d, E: float(np.polyfit(d.numpy(), E.numpy(), 1)[0]), False, "Take logs"),
    ],
)
def test_exercise_checks_pass_right_answers_and_explain_wrong_ones(check, fn, passes, hint, monkeypatch):
    from ebm_course import exercises

    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    res = getattr(exercises, check)(fn, lang="en")
    assert res.passed is passes
    assert hint in res.message
    assert getattr(exercises, check)(fn, lang="ko").message != res.message
    if not passes:
        monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
        with pytest.raises(AssertionError):
            getattr(exercises, check)(fn)


def test_exercise_checks_report_errors_in_the_students_code(monkeypatch):
    from ebm_course import exercises

    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)

    def unfinished(*args):
        raise NotImplementedError

    for check in ("check_mask_noise", "check_dae_energy", "check_growth_exponent"):
        res = getattr(exercises, check)(unfinished, lang="en")
        assert not res.passed and "not implemented" in res.message
