"""Checks for chapter 5 (contrastive methods and the denoising autoencoder)."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import dae
from ._base import CheckResult, _call, _fail, _result, _tensor_close

__all__ = ["check_mask_noise", "check_dae_energy", "check_growth_exponent"]


def check_mask_noise(fn, lang=None) -> CheckResult:
    """Exercise: fn(y, p, generator) -> y with each entry set to 0 with probability p, the others unchanged."""
    y = torch.rand(4000, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64) + 0.5
    for p in (0.25, 0.6):
        out, err = _call(fn, y.clone(), p, torch.Generator().manual_seed(1))
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(out, torch.Tensor) or out.shape != y.shape:
            shape = tuple(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            return _fail(
                f"y와 같은 모양 {tuple(y.shape)}의 텐서를 돌려주어야 한다(받은 것: {shape}).",
                f"return a tensor of the same shape as y, {tuple(y.shape)} (got {shape}).",
                lang,
            )
        out = out.detach().to(torch.float64)
        zero = out == 0
        kept = ~zero
        if kept.any() and torch.allclose(out[kept], y[kept] / (1 - p)):
            return _fail(
                "남은 값이 1/(1 - p)배로 커졌다. 드롭아웃(dropout)의 보정이다. 마스크는 곱하기만 하자: y * m.",
                "the kept values were scaled by 1/(1 - p): that is dropout's rescaling. Just multiply by the mask: y * m.",
                lang,
            )
        if not torch.allclose(out[kept], y[kept], rtol=1e-6, atol=0.0):
            return _fail(
                "0이 아닌 값은 원래 y의 값과 같아야 한다. 잡음을 더하지 말고 0/1 마스크를 곱하자.",
                "the entries that are not 0 must equal y's. Multiply by a 0/1 mask; add no noise.",
                lang,
            )
        if zero.double().mean(dim=0).std().item() > 0.05 or zero.double().mean(dim=1).std().item() > 0.2:
            return _fail(
                "원소마다 따로 마스크를 뽑자(행이나 열 전체를 한꺼번에 지우지 말고).",
                "draw the mask entry by entry (not whole rows or columns at once).",
                lang,
            )
        frac = zero.double().mean().item()
        if abs(frac - p) > 0.02:
            hint = (
                " 1 - p와 p를 바꿔 쓴 것 같다." if abs(frac - (1 - p)) < 0.02 else "",
                " It looks like p and 1 - p are swapped." if abs(frac - (1 - p)) < 0.02 else "",
            )
            return _fail(
                f"p={p}일 때 0이 된 비율이 {frac:.3f}이다. 비율은 p여야 한다.{hint[0]}",
                f"with p={p}, a fraction {frac:.3f} of the entries is 0; it should be p.{hint[1]}",
                lang,
            )
    return _result(
        True,
        "통과! 남은 값은 그대로 두고 p의 비율만 지우는 마스킹 잡음이다.",
        "Passed! Masking noise: a fraction p of the entries is zeroed, the rest are unchanged.",
        lang=lang,
    )


def check_dae_energy(fn, lang=None) -> CheckResult:
    """Exercise: fn(model, y) -> E(y) = ||y - dec(enc(y))||^2 for each row of y, shape (n,)."""
    model = dae.DAE(3, hidden=8, seed=4).double()
    y = torch.randn(7, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    with torch.no_grad():
        expected = model.energy(y)
        out, err = _call(fn, model, y.clone())
    if err:
        return _fail(err[0], err[1], lang)
    if not isinstance(out, torch.Tensor):
        return _fail("torch.Tensor를 돌려주어야 한다.", "return a torch.Tensor.", lang)
    out = out.detach()
    if out.shape != expected.shape:
        return _fail(
            f"점마다 에너지 하나, 모양 {tuple(expected.shape)}여야 한다(받은 것: {tuple(out.shape)}). 좌표 축(dim=1)으로만 더하자.",
            f"one energy per point, shape {tuple(expected.shape)} (got {tuple(out.shape)}). Sum over the coordinates only (dim=1).",
            lang,
        )
    if _tensor_close(out, expected.sqrt()):
        return _fail(
            "노름 자체가 아니라 노름의 제곱이다: ((y - ȳ)**2).sum(dim=1).",
            "the squared norm, not the norm: ((y - ȳ)**2).sum(dim=1).",
            lang,
        )
    if _tensor_close(out, expected / y.shape[1]):
        return _fail(
            "좌표의 평균이 아니라 합이다: .sum(dim=1).",
            "sum over the coordinates, not the mean: .sum(dim=1).",
            lang,
        )
    if not _tensor_close(out, expected):
        return _fail(
            "값이 다르다. ȳ = model.decoder(model.encoder(y))이고 E = ‖y − ȳ‖²이다. 손상은 학습할 때만 쓴다.",
            "wrong values. ȳ = model.decoder(model.encoder(y)) and E = ‖y − ȳ‖². Corruption is for training only.",
            lang,
        )
    return _result(
        True,
        "통과! 재구성 오차가 DAE의 에너지다.",
        "Passed! The reconstruction error is the DAE's energy.",
        lang=lang,
    )


def check_growth_exponent(fn, lang=None) -> CheckResult:
    """Exercise: fn(d, E) -> the exponent p of the best fit E ≈ c d^p (least squares in log-log)."""
    g = torch.Generator().manual_seed(3)
    d = torch.rand(200, generator=g, dtype=torch.float64) * 0.5 + 0.01
    for p_true, c in ((2.0, 0.7), (1.0, 3.0), (3.5, 0.05)):
        noise = torch.exp(0.05 * torch.randn(200, generator=g, dtype=torch.float64))
        E = c * d**p_true * noise
        expected = float(np.polyfit(np.log(d.numpy()), np.log(E.numpy()), 1)[0])
        out, err = _call(fn, d.clone(), E.clone())
        if err:
            return _fail(err[0], err[1], lang)
        if isinstance(out, torch.Tensor) and out.numel() == 1:
            out = out.item()
        if isinstance(out, np.ndarray) and out.size == 1:
            out = out.item()
        if isinstance(out, np.floating | np.integer):
            out = float(out)
        if isinstance(out, bool) or not isinstance(out, (int, float)) or not math.isfinite(out):
            return _fail(
                "지수 p를 유한한 숫자 하나(float)로 돌려주어야 한다.",
                "return the exponent p as one finite number (a float).",
                lang,
            )
        if abs(out - expected) > 1e-4 * max(1.0, abs(expected)):
            fitted_linear = float(np.polyfit(d.numpy(), E.numpy(), 1)[0])
            if abs(out - fitted_linear) < 1e-4 * max(1.0, abs(fitted_linear)):
                hint = (
                    "E를 d에 직선으로 맞추었다. 로그를 취한 뒤 log E = log c + p log d의 기울기를 구하자.",
                    "you fitted E against d directly. Take logs first: the slope of log E = log c + p log d.",
                )
            else:
                hint = (
                    f"E = {c}·d^{p_true}(약간의 잡음 포함)에 대해 돌려준 값은 {out:.4g}이지만, log d에 대한 log E의 최소 제곱 기울기는 {expected:.4f}이다.",
                    f"for E = {c}·d^{p_true} (with a little noise) you got {out:.4g}; the least-squares slope of log E against log d is {expected:.4f}.",
                )
            return _fail(hint[0], hint[1], lang)
    return _result(
        True,
        "통과! 로그-로그 기울기가 에너지가 자라는 지수다.",
        "Passed! The log-log slope is the exponent with which the energy grows.",
        lang=lang,
    )
