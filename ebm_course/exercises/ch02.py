"""Checks for chapter 2 (energy, Gibbs distribution, maximum likelihood)."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import energy, i18n
from ._base import CheckResult, _call, _fail, _result, _tensor_close

__all__ = ["check_gibbs", "check_beta_for_mass", "check_nll_discrete"]


def check_gibbs(fn, lang=None) -> CheckResult:
    """Exercise: fn(E, beta) -> Gibbs probabilities of a 1-D tensor of energies, stable for large E."""
    cases = [
        (torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64), 1.0),
        (torch.tensor([3.0, -1.0, 0.5, 0.5], dtype=torch.float64), 0.3),
        (torch.tensor([1000.0, 1001.0, 1002.0], dtype=torch.float64), 1.0),
        (torch.tensor([-800.0, -799.0], dtype=torch.float64), 2.0),
    ]
    for E, beta in cases:
        P, err = _call(fn, E.clone(), beta)
        if err:
            return _fail(err[0], err[1], lang)
        expected = energy.gibbs(E, beta)
        if not isinstance(P, torch.Tensor):
            return _fail("torch.Tensor를 돌려주어야 한다.", "return a torch.Tensor.", lang)
        if not torch.isfinite(P).all():
            return _fail(
                f"E={E.tolist()}에서 nan이나 inf가 나왔다. 지수를 취하기 전에 βE의 최솟값을 빼자.",
                f"nan or inf for E={E.tolist()}. Subtract the minimum of βE before exponentiating.",
                lang,
            )
        if abs(P.sum().item() - 1) > 1e-6:
            return _fail(
                "확률의 합이 1이 아니다: 가중치의 합(정규화 상수)으로 나누자.",
                "the probabilities do not sum to 1: divide by the normaliser.",
                lang,
            )
        if not _tensor_close(P, expected) and _tensor_close(P, energy.gibbs(-E, beta)):
            return _fail(
                "부호를 확인하자. 에너지가 낮을수록 확률이 높아야 한다: exp(-βE).",
                "check the sign: lower energy must mean higher probability (exp(-βE)).",
                lang,
            )
        if not _tensor_close(P, expected):
            return _fail(
                f"E={E.tolist()}, β={beta}에서 값이 다르다: exp(-βE)/Σexp(-βE)인지 확인하자.",
                f"wrong values for E={E.tolist()}, β={beta}: is it exp(-βE)/Σexp(-βE)?",
                lang,
            )
    return _result(
        True,
        "통과! 큰 에너지에서도 안정적인 깁스 분포다.",
        "Passed! A Gibbs distribution that is stable for large energies.",
        lang=lang,
    )


def check_beta_for_mass(beta, lang=None) -> CheckResult:
    """Exercise: the beta at which the Gibbs distribution of E = [0, 1, 2, 3] puts 0.9 on y = 0.

    ``beta`` is that number, or a function ``fn(E, mass)`` that finds it (called with
    E = tensor([0., 1., 2., 3.]) and mass = 0.9). The check verifies the property itself: the
    Gibbs probability of y = 0 at the given beta is 0.9 (to 2e-4, a relative 1e-3 in beta); no stored answer is compared.
    """
    E = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)
    mass = 0.9
    if callable(beta):
        beta, err = _call(beta, E.clone(), mass)
        if err:
            return _fail(err[0], err[1], lang)
    if isinstance(beta, torch.Tensor) and beta.numel() == 1:
        beta = beta.item()
    if isinstance(beta, np.floating | np.integer):
        beta = float(beta)
    if not isinstance(beta, (int, float)) or isinstance(beta, bool) or not math.isfinite(beta):
        return _fail("β는 유한한 숫자(float)여야 한다.", "beta must be a finite number (a float).", lang)
    if beta <= 0:
        return _fail(f"β는 0보다 커야 한다(받은 값: {beta}).", f"beta must be > 0 (got {beta}).", lang)
    p = energy.gibbs(E, beta)[0].item()
    if abs(p - mass) <= 2e-4:
        return _result(
            True,
            f"통과! β ≈ {beta:.4f}에서 가장 낮은 에너지의 확률 P(y=0)이 {p:.4f}가 된다.",
            f"Passed! At β ≈ {beta:.4f}, the lowest energy gets probability P(y=0) = {p:.4f}.",
            lang=lang,
        )
    # P(y=0) grows with beta (from 1/4 at beta -> 0 to 1 at beta -> inf): the sign of the gap says where to go
    direction = (
        i18n.t(ko="더 키우자", en="increase it", lang=lang)
        if p < mass
        else i18n.t(ko="더 줄이자", en="decrease it", lang=lang)
    )
    return _fail(
        f"β={beta:.4g}에서 가장 낮은 에너지의 확률은 P(y=0)={p:.4f}이다. 이 확률은 β에 대해 증가하므로 이분법으로 찾자: β를 {direction}.",
        f"at β={beta:.4g}, P(y=0), the probability of the lowest energy, is {p:.4f}. It grows with β, so bisect: {direction}.",
        lang,
    )


def check_nll_discrete(fn, lang=None) -> CheckResult:
    """Exercise: fn(E, idx, beta) -> mean NLL of the observed indices idx under Gibbs(E, beta)."""
    E = torch.tensor([0.5, 2.0, -1.0, 0.0, 3.0], dtype=torch.float64)
    idx = torch.tensor([2, 2, 3, 0, 2, 1])
    for beta in (1.0, 0.5, 4.0):
        value, err = _call(fn, E.clone(), idx.clone(), beta)
        if err:
            return _fail(err[0], err[1], lang)
        try:
            value = float(value)
        except (TypeError, ValueError, RuntimeError):  # e.g. one NLL per observation, not their mean
            return _fail(
                "관측값 전체에 대한 평균 NLL을 숫자 하나로 돌려주어야 한다.",
                "return one number: the mean NLL over the observations.",
                lang,
            )
        truth = -torch.log(energy.gibbs(E, beta)[idx]).mean().item() / beta
        wrong = E[idx].mean().item() + torch.exp(-beta * E).sum().item() / beta
        if math.isclose(value, wrong, rel_tol=1e-6):
            return _fail(
                "강의 노트의 식처럼 로그가 빠졌다: L = E(Y) + (1/β) log Σ exp(-βE(y)).",
                "the log is missing, as in the lecture note: L = E(Y) + (1/β) log Σ exp(-βE(y)).",
                lang,
            )
        if not math.isclose(value, truth, rel_tol=1e-6, abs_tol=1e-9):
            return _fail(
                f"β={beta}에서 돌려준 값은 {value:.6f}인데, -(1/β) log P(Y)의 평균은 {truth:.6f}이다.",
                f"at β={beta} you got {value:.6f}; the mean of -(1/β) log P(Y) is {truth:.6f}.",
                lang,
            )
    shifted, err = _call(fn, E + 7.0, idx.clone(), 1.0)
    unshifted, err2 = _call(fn, E.clone(), idx.clone(), 1.0)
    try:
        invariant = not (err or err2) and math.isclose(float(shifted), float(unshifted), rel_tol=1e-6)
    except (TypeError, ValueError, RuntimeError):
        invariant = False
    if not invariant:
        return _fail(
            "에너지에 상수를 더해도 NLL은 변하지 않아야 한다.",
            "adding a constant to the energy must not change the NLL.",
            lang,
        )
    return _result(
        True,
        "통과! 로그가 들어간 올바른 음의 로그 가능도다.",
        "Passed! The correct negative log-likelihood, log included.",
        lang=lang,
    )
