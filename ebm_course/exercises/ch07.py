"""Checks for chapter 7 (contrastive divergence and the samplers)."""

from __future__ import annotations

import math

import torch

from .. import models, samplers
from ._base import CheckResult, _call, _fail, _result, _tensor_close

__all__ = ["check_langevin_step", "check_metropolis_acceptance", "check_cd_grad_norm"]


def _bowl(y):
    """A tilted, curved energy whose gradient differs from y itself."""
    return 0.5 * (y.square() * torch.tensor([1.0, 3.0], dtype=y.dtype)).sum(dim=1) + torch.sin(y[:, 0])


def check_langevin_step(fn, lang=None) -> CheckResult:
    """Exercise: fn(energy_fn, y, step_size, beta, generator) -> one Langevin step,
    y - step_size * grad E(y) + sqrt(2 step_size / beta) * N(0, I), the noise drawn with
    torch.randn(y.shape, generator=generator, dtype=y.dtype)."""
    y = torch.randn(500, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    for step_size, beta in ((0.1, 1.0), (0.03, 4.0)):
        g = torch.Generator().manual_seed(11)
        out, err = _call(fn, _bowl, y.clone(), step_size, beta, g)
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(out, torch.Tensor) or out.shape != y.shape:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            return _fail(
                f"y와 같은 모양 {tuple(y.shape)}의 텐서를 돌려주어야 한다(받은 것: {shape}).",
                f"return a tensor of the same shape as y, {tuple(y.shape)} (got {shape}).",
                lang,
            )
        out = out.detach()
        _, grad = samplers.energy_grad(_bowl, y)
        noise = torch.randn(y.shape, generator=torch.Generator().manual_seed(11), dtype=y.dtype)
        expected = y - step_size * grad + math.sqrt(2 * step_size / beta) * noise
        if _tensor_close(out, expected):
            continue
        wrong = {
            "ascent": (y + step_size * grad + math.sqrt(2 * step_size / beta) * noise),
            "no_beta": (y - step_size * grad + math.sqrt(2 * step_size) * noise),
            "no_sqrt": (y - step_size * grad + (2 * step_size / beta) * noise),
            "one_step": (y - step_size * grad + math.sqrt(step_size / beta) * noise),
            "no_noise": (y - step_size * grad),
        }
        hints = {
            "ascent": (
                "그래디언트를 빼야 한다: 에너지를 내려가는 방향이다.",
                "subtract the gradient: go down the energy.",
            ),
            "no_beta": (
                f"β={beta}일 때 잡음의 크기는 sqrt(2·step_size/β)이다. β를 빠뜨렸다.",
                f"with β={beta} the noise is sqrt(2·step_size/β) times N(0, I): β is missing.",
            ),
            "no_sqrt": (
                "잡음의 표준편차는 2·step_size/β의 제곱근이다.",
                "the noise's standard deviation is the square root of 2·step_size/β.",
            ),
            "one_step": (
                "잡음의 분산은 2·step_size/β이다(2를 빠뜨렸다).",
                "the noise's variance is 2·step_size/β (the 2 is missing).",
            ),
            "no_noise": (
                "잡음이 없으면 경사 하강법일 뿐이고, 그 끝점은 샘플이 아니다. 잡음을 더하자.",
                "without the noise this is gradient descent, whose end points are not samples. Add the noise.",
            ),
        }
        for key, value in wrong.items():
            if _tensor_close(out, value):
                return _fail(hints[key][0], hints[key][1], lang)
        return _fail(
            "값이 다르다. 그래디언트는 torch.autograd.grad(energy_fn(y).sum(), y)로 구하고, 잡음은 "
            "torch.randn(y.shape, generator=generator, dtype=y.dtype)로 한 번만 뽑자.",
            "wrong values. Get the gradient with torch.autograd.grad(energy_fn(y).sum(), y), and draw the noise once "
            "with torch.randn(y.shape, generator=generator, dtype=y.dtype).",
            lang,
        )
    return _result(
        True,
        "통과! 그래디언트를 따라 내려가면서 잡음을 더하는 것이 랑주뱅 동역학의 한 단계다.",
        "Passed! Down the gradient, plus noise: one step of Langevin dynamics.",
        lang=lang,
    )


def check_metropolis_acceptance(fn, lang=None) -> CheckResult:
    """Exercise: fn(E_old, E_new, beta) -> min(1, exp(-beta (E_new - E_old))), elementwise, never nan or inf."""
    g = torch.Generator().manual_seed(1)
    E_old = torch.randn(400, generator=g, dtype=torch.float64) * 3
    E_new = torch.randn(400, generator=g, dtype=torch.float64) * 3
    E_old[:3], E_new[:3] = torch.tensor([0.0, 0.0, 1000.0]), torch.tensor([900.0, -900.0, 0.0])  # far apart
    for beta in (1.0, 2.5):
        out, err = _call(fn, E_old.clone(), E_new.clone(), beta)
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(out, torch.Tensor) or out.shape != E_old.shape:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            return _fail(
                f"제안마다 확률 하나, 모양 {tuple(E_old.shape)}의 텐서여야 한다(받은 것: {shape}).",
                f"one probability per proposal, a tensor of shape {tuple(E_old.shape)} (got {shape}).",
                lang,
            )
        out = out.detach().double()
        expected = samplers.metropolis_acceptance(E_old, E_new, beta)
        if not torch.isfinite(out).all():
            return _fail(
                "에너지 차이가 클 때 inf나 nan이 나왔다. exp(min(0, -β ΔE))처럼 지수를 취하기 전에 자르자.",
                "inf or nan for large energy differences. Clip before the exponential: exp(min(0, -β ΔE)).",
                lang,
            )
        if _tensor_close(out, expected):
            continue
        dE = E_new - E_old
        if (out > 1 + 1e-12).any():
            return _fail(
                "확률이 1을 넘었다. 에너지가 내려가는 제안은 언제나 받아들인다: min(1, ·).",
                "a probability above 1. A proposal that lowers the energy is always accepted: min(1, ·).",
                lang,
            )
        if _tensor_close(out, torch.exp(torch.clamp(beta * dE, max=0.0))):
            return _fail(
                "부호가 반대다. 에너지가 올라가는 제안(ΔE > 0)일수록 덜 받아들여야 한다.",
                "the sign is flipped: a proposal that raises the energy (ΔE > 0) must be accepted less often.",
                lang,
            )
        if _tensor_close(out, torch.exp(torch.clamp(-dE, max=0.0))):
            return _fail(f"β={beta}일 때 값이 틀렸다: β를 빠뜨렸다.", f"wrong at β={beta}: β is missing.", lang)
        return _fail(
            "값이 다르다. 받아들일 확률은 min(1, exp(-β (E_new - E_old)))이다.",
            "wrong values. The acceptance probability is min(1, exp(-β (E_new - E_old))).",
            lang,
        )
    return _result(
        True,
        "통과! 내려가는 제안은 언제나, 올라가는 제안은 exp(-β ΔE)의 확률로 받아들인다.",
        "Passed! Downhill proposals always, uphill ones with probability exp(-β ΔE).",
        lang=lang,
    )


def check_cd_grad_norm(fn, lang=None) -> CheckResult:
    """Exercise: fn(model, y, y_neg) -> the norm (a float) of the gradient with respect to model.W of
    L_c = mean E(y) - mean E(y_neg), for an ``ebm_course.models.RBFEnergy`` model."""
    g = torch.Generator().manual_seed(2)
    centres = torch.randn(12, 2, generator=g, dtype=torch.float64)
    model = models.RBFEnergy(centres, 0.7, W0=torch.randn(12, generator=g, dtype=torch.float64))
    y = torch.randn(64, 2, generator=g, dtype=torch.float64)
    y_neg = torch.randn(48, 2, generator=g, dtype=torch.float64) * 1.5 + 0.5
    phi_y, phi_neg = model.features(y).detach(), model.features(y_neg).detach()
    grad = phi_y.mean(dim=0) - phi_neg.mean(dim=0)  # E = phi(y) @ W: dE/dW = phi(y)
    expected = grad.norm().item()
    out, err = _call(fn, model, y.clone(), y_neg.clone())
    if err:
        return _fail(err[0], err[1], lang)
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if isinstance(out, torch.Tensor):
        return _fail(
            "그래디언트 벡터가 아니라 그 노름, 숫자 하나를 돌려주자: .norm().item().",
            "return the gradient's norm, one number, not the gradient itself: .norm().item().",
            lang,
        )
    if isinstance(out, bool) or not isinstance(out, (int, float)) or not math.isfinite(out):
        return _fail("유한한 숫자 하나(float)를 돌려주어야 한다.", "return one finite number (a float).", lang)
    if model.W.grad is not None and model.W.grad.abs().sum() > 0:
        model.W.grad = None  # a student who used .backward() left it there; harmless for the check
    if abs(out - expected) <= 1e-8 * max(1.0, expected):
        return _result(
            True,
            "통과! 이 노름이 음성 샘플이 데이터와 얼마나 다른지를 잰다.",
            "Passed! This norm measures how different the negatives are from the data.",
            lang=lang,
        )
    candidates = {
        "sum": (
            (phi_y.sum(dim=0) - phi_neg.sum(dim=0)).norm().item(),
            "합이 아니라 평균이다: .mean().",
            "means, not sums: .mean().",
        ),
        "data": (
            phi_y.mean(dim=0).norm().item(),
            "음성 샘플의 항이 빠졌다: L_c = mean E(y) - mean E(y_neg).",
            "the negatives' term is missing: L_c = mean E(y) - mean E(y_neg).",
        ),
        "neg": (
            phi_neg.mean(dim=0).norm().item(),
            "데이터의 항이 빠졌다: L_c = mean E(y) - mean E(y_neg).",
            "the data's term is missing: L_c = mean E(y) - mean E(y_neg).",
        ),
        "plus": (
            (phi_y.mean(dim=0) + phi_neg.mean(dim=0)).norm().item(),
            "두 항을 빼야 한다: 데이터는 내리고 음성 샘플은 올린다.",
            "subtract the two terms: the data go down, the negatives up.",
        ),
        "square": (expected**2, "노름의 제곱이 아니라 노름이다.", "the norm, not its square."),
    }
    for value, ko, en in candidates.values():
        if abs(out - value) <= 1e-8 * max(1.0, abs(value)):
            return _fail(ko, en, lang)
    return _fail(
        "값이 다르다. loss = model(y).mean() - model(y_neg).mean()의 model.W에 대한 그래디언트를 "
        "torch.autograd.grad로 구한 뒤 노름을 재자.",
        "wrong value. Differentiate loss = model(y).mean() - model(y_neg).mean() with respect to model.W "
        "(torch.autograd.grad), then take the norm.",
        lang,
    )
