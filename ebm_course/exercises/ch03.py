"""Checks for chapter 3 (latent-variable EBMs and free energy)."""

from __future__ import annotations

import math

import torch

from .. import data, energy, latent
from ._base import CheckResult, _call, _fail, _result, _tensor_close

__all__ = ["check_soft_min", "check_infer_exhaustive", "check_mean_energy"]


def check_soft_min(fn, lang=None) -> CheckResult:
    """Exercise: fn(E, beta) -> F_beta = -(1/beta) log mean_z exp(-beta E) along the last dim of E (n, m)."""
    gen = torch.Generator().manual_seed(3)
    cases = [
        (torch.rand(4, 7, generator=gen, dtype=torch.float64) * 3, 1.0),
        (torch.rand(3, 5, generator=gen, dtype=torch.float64) * 3, 0.2),
        (torch.tensor([[0.0, 1.0, 2.0, 3.0]], dtype=torch.float64), 2.0),
        (torch.tensor([[500.0, 501.0, 520.0], [-400.0, -399.0, -390.0]], dtype=torch.float64), 5.0),
    ]
    for E, beta in cases:
        F, err = _call(fn, E.clone(), beta)
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(F, torch.Tensor):
            return _fail("torch.Tensor를 돌려주어야 한다.", "return a torch.Tensor.", lang)
        if F.shape != (E.shape[0],):
            return _fail(
                f"E의 모양이 {tuple(E.shape)}이면 결과는 ({E.shape[0]},)이어야 한다: 마지막 축(z)을 따라 줄이자.",
                f"for E of shape {tuple(E.shape)} return shape ({E.shape[0]},): reduce along the last axis (z).",
                lang,
            )
        if not torch.isfinite(F).all():
            return _fail(
                f"E={E.tolist()}에서 nan이나 inf가 나왔다. torch.logsumexp를 쓰자.",
                f"nan or inf for E={E.tolist()}. Use torch.logsumexp.",
                lang,
            )
        expected = energy.free_energy(E, beta, dim=-1)
        if _tensor_close(F, expected):
            continue
        unnormalised = expected - math.log(E.shape[-1]) / beta
        if _tensor_close(F, unnormalised):
            return _fail(
                "합을 썼다. 강의 노트의 표준형이지만, 이 연습 문제는 이 책의 약속대로 z에 대한 평균을 쓴다: "
                "logsumexp에서 log|Z|를 빼면 β → 0에서 평균 에너지가 된다.",
                "this is the sum over z, the note's standard form; the exercise asks for the book's convention, "
                "the mean over z (subtract log|Z| from the logsumexp), whose β → 0 limit is the mean energy.",
                lang,
            )
        if _tensor_close(F, energy.free_energy(-E, beta, dim=-1)) or _tensor_close(F, -expected):
            return _fail(
                "부호를 확인하자: F_β = -(1/β) log mean exp(-βE).",
                "check the signs: F_β = -(1/β) log mean exp(-βE).",
                lang,
            )
        if _tensor_close(F, beta * beta * expected):
            return _fail(
                f"β={beta}에서 1/β 대신 β를 곱했다: F_β = -(1/β) log mean exp(-βE).",
                f"at β={beta} you multiplied by β instead of dividing: F_β = -(1/β) log mean exp(-βE).",
                lang,
            )
        return _fail(
            f"β={beta}에서 값이 다르다. F_β는 행마다 E의 최솟값과 평균 사이에 있어야 한다. "
            "마지막 축(z)을 따라 exp(-βE)의 평균을 내고, log를 취한 뒤 -1/β를 곱하자.",
            f"wrong values at β={beta}. F_β must lie between the minimum and the mean of each row of E: "
            "average exp(-βE) along the last axis (z), take the log, multiply by -1/β.",
            lang,
        )
    return _result(
        True,
        "통과! 정규화된 부드러운 최솟값이다: β → 0이면 평균, β → ∞이면 최솟값.",
        "Passed! The normalised soft minimum: the mean as β → 0, the minimum as β → ∞.",
        lang=lang,
    )


def check_infer_exhaustive(fn, lang=None) -> CheckResult:
    """Exercise: fn(y, z, w) -> z_check (n,), the grid latent of least ||y - [w1 cos z, w2 sin z]||^2 per row."""
    z = latent.z_grid(90)
    for w, seed in (
        (torch.tensor([2.0, 1.0], dtype=torch.float64), 4),
        (torch.tensor([0.7, 1.6], dtype=torch.float64), 5),
    ):
        y, _ = data.sample_ellipse(12, rho=w, noise=0.3, seed=seed)
        z_check, err = _call(fn, y.clone(), z.clone(), w.clone())
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(z_check, torch.Tensor) or z_check.shape != (len(y),):
            got = tuple(z_check.shape) if isinstance(z_check, torch.Tensor) else type(z_check).__name__
            return _fail(
                f"y의 행마다 잠재 변수 하나, 모양 ({len(y)},)인 텐서를 돌려주어야 한다(받은 것: {got}).",
                f"return one latent per row of y, a tensor of shape ({len(y)},) (got {got}).",
                lang,
            )
        expected, F = latent.infer_grid(y, z, latent.ellipse(z, w))
        if _tensor_close(z_check, expected):
            continue
        E = latent.energies(y, latent.ellipse(z, w))
        idx = torch.argmax(E, dim=1)
        if _tensor_close(z_check, z[idx]):
            return _fail(
                "에너지가 가장 큰 z를 골랐다: argmax가 아니라 argmin이다.",
                "you picked the z of highest energy: it is argmin, not argmax.",
                lang,
            )
        if torch.all((z_check >= 0) & (z_check < E.shape[1])) and _tensor_close(z[z_check.long()], expected):
            return _fail(
                "격자의 인덱스를 돌려주었다. 그 인덱스의 z 값, z[idx]를 돌려주자.",
                "you returned grid indices: return the latents themselves, z[idx].",
                lang,
            )
        return _fail(
            "각 y에 대해 모든 z에서 E = ||y − g(z)||²를 계산하고(모양 (n, m)), 축 1을 따라 argmin을 취하자.",
            "for each y compute E = ||y − g(z)||² at every z (shape (n, m)), then take the argmin along axis 1.",
            lang,
        )
    return _result(
        True,
        "통과! 격자 위 전수 탐색은 전역 최솟값을 놓치지 않는다.",
        "Passed! Exhaustive search on the grid never misses the global minimum.",
        lang=lang,
    )


def check_mean_energy(fn, lang=None) -> CheckResult:
    """Exercise: fn(y, w) -> mean_z ||y - [w1 cos z, w2 sin z]||^2 over z in [0, 2 pi), in closed form, (n,)."""
    gen = torch.Generator().manual_seed(6)
    z = latent.z_grid(512)
    for w in (torch.tensor([2.0, 1.0], dtype=torch.float64), torch.tensor([0.5, 1.5], dtype=torch.float64)):
        y = torch.randn(9, 2, generator=gen, dtype=torch.float64) * 2
        value, err = _call(fn, y.clone(), w.clone())
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(value, torch.Tensor) or value.shape != (len(y),):
            return _fail(
                f"y의 행마다 값 하나, 모양 ({len(y)},)인 텐서를 돌려주어야 한다.",
                f"return one value per row of y, a tensor of shape ({len(y)},).",
                lang,
            )
        expected = latent.energies(y, latent.ellipse(z, w)).mean(1)
        if _tensor_close(value, expected, rtol=1e-8):
            continue
        if _tensor_close(value, (y**2).sum(1) + (w**2).sum(), rtol=1e-8):
            return _fail(
                "||g(z)||²의 평균이 너무 크다: 한 바퀴 평균에서 cos² z와 sin² z는 1이 아니라 1/2이다.",
                "the mean of ||g(z)||² is too large: over a full turn cos² z and sin² z average 1/2, not 1.",
                lang,
            )
        if _tensor_close(value, (y**2).sum(1), rtol=1e-8):
            return _fail(
                "||g(z)||²의 평균이 빠졌다: cos²와 sin²의 평균은 각각 1/2이다.",
                "the mean of ||g(z)||² is missing: cos² and sin² each average 1/2.",
                lang,
            )
        return _fail(
            "||y − g||² = ||y||² − 2 y·g + ||g||²로 풀어 쓰자. 한 바퀴 평균에서 cos z와 sin z는 0, cos² z와 sin² z는 1/2이다.",
            "expand ||y − g||² = ||y||² − 2 y·g + ||g||². Over a full turn cos z and sin z average 0, cos² z and "
            "sin² z average 1/2.",
            lang,
        )
    return _result(
        True,
        "통과! β → 0의 자유 에너지 ||y||² + (w₁² + w₂²)/2는 원점을 중심으로 한 그릇이다.",
        "Passed! The β → 0 free energy ||y||² + (w₁² + w₂²)/2 is a bowl centred on the origin.",
        lang=lang,
    )
