"""Checks for chapter 4 (K-means as an energy-based model)."""

from __future__ import annotations

import math

import torch

from .. import kmeans
from ..kmeans import KMeansEBM
from ._base import CheckResult, _call, _fail, _result, _tensor_close

__all__ = ["check_z_step", "check_lloyd_step", "check_free_energy_kmeans"]


def _cases():
    """(y, W) pairs: random points and prototypes in 2-D and 3-D, float64, reproducible."""
    g = torch.Generator().manual_seed(4)
    out = []
    for n, d, k in ((7, 2, 3), (50, 2, 5), (40, 3, 4), (1, 2, 1)):
        out.append(
            (torch.randn(n, d, generator=g, dtype=torch.float64), torch.randn(d, k, generator=g, dtype=torch.float64))
        )
    return out


def _model(W):
    m = KMeansEBM(W.shape[1])
    m.W = W
    return m


def _packaged(fn, lang):
    """A failed check if fn is the package's own z-step, W-step or inference, else None."""
    own = (kmeans.z_step, kmeans.w_step)
    if fn in own or getattr(fn, "__func__", None) in (KMeansEBM.infer, KMeansEBM.fit):
        return _fail(
            "패키지의 함수(ec.kmeans.z_step, w_step, KMeansEBM)를 그대로 넘겼다: 이 연습은 직접 써 보는 것이다.",
            "you passed the package's own function (ec.kmeans.z_step, w_step or KMeansEBM): "
            "the exercise is to write it yourself.",
            lang,
        )
    return None


def check_z_step(fn, lang=None) -> CheckResult:
    """Exercise: fn(y, W) -> LongTensor (n,), the index of the column of W closest to each row of y.
    The package's own ``ec.kmeans.z_step`` is refused: the exercise is to write it."""
    refused = _packaged(fn, lang)
    if refused is not None:
        return refused
    for y, W in _cases():
        z, err = _call(fn, y.clone(), W.clone())
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(z, torch.Tensor):
            return _fail(
                f"torch 텐서를 돌려주어야 한다(받은 것: {type(z).__name__}). argmin(dim=1)이 그런 텐서를 준다.",
                f"return a torch tensor (got {type(z).__name__}); argmin(dim=1) gives one.",
                lang,
            )
        if z.shape == (y.shape[0], W.shape[1]):
            return _fail(
                "원-핫 벡터가 아니라 열의 인덱스를 돌려주자: (n, k) 에너지에서 dim=1로 argmin을 하면 된다.",
                "return the column index, not a one-hot vector: take argmin over dim=1 of the (n, k) energies.",
                lang,
            )
        if z.shape != (y.shape[0],):
            return _fail(
                f"점마다 인덱스 하나, 모양 ({y.shape[0]},)인 텐서를 돌려주어야 한다(y: {tuple(y.shape)}, W: {tuple(W.shape)}).",
                f"return one index per point, a tensor of shape ({y.shape[0]},) (y: {tuple(y.shape)}, W: {tuple(W.shape)}).",
                lang,
            )
        if z.is_floating_point():
            return _fail(
                "인덱스는 정수(LongTensor)여야 한다: argmin을 쓰자.",
                "indices must be integers: use argmin.",
                lang,
            )
        E = _model(W).energies(y)
        truth = E.argmin(dim=1)
        if W.shape[1] > 1 and torch.equal(z.long(), E.argmax(dim=1)):
            return _fail(
                "에너지가 가장 큰 열을 골랐다: 추론은 에너지를 최소화한다(argmin).",
                "you picked the column with the largest energy: inference minimises it (argmin).",
                lang,
            )
        if not torch.equal(z.long(), truth) and torch.equal(z.long(), truth + 1):
            return _fail(
                "인덱스가 1씩 크다: 파이썬의 인덱스는 0부터 시작한다.",
                "every index is one too large: Python counts from 0.",
                lang,
            )
        no_norm = (-2.0 * y @ W).argmin(dim=1)
        if not torch.equal(z.long(), truth) and torch.equal(z.long(), no_norm):
            return _fail(
                "||w_j||² 항이 빠졌다(내적 y·w_j만 비교한 것과 같다). 이 항은 열마다 달라서 argmin을 바꾼다. "
                "생략해도 되는 것은 모든 열에 똑같은 ||y_i||² 항뿐이다.",
                "the ||w_j||² term is missing (the same as comparing the dot products y·w_j). It differs from column "
                "to column, so it changes the argmin; only ||y_i||², the same for every column, may be dropped.",
                lang,
            )
        if not torch.equal(z.long(), truth):
            return _fail(
                "W의 열 w_j가 프로토타입이다: 점 y_i마다 ||y_i - w_j||²을 모든 j에 대해 계산하고 가장 작은 j를 고르자. "
                "W는 (d, k) 모양이니 y(n, d)와 비교하려면 W.T를 쓰자.",
                "the prototypes are the columns w_j of W: for each y_i compute ||y_i - w_j||² for every j and keep the "
                "smallest. W has shape (d, k), so compare y (n, d) with W.T.",
                lang,
            )
    return _result(
        True,
        "통과! z-단계는 에너지가 가장 낮은 W의 열을 고른다.",
        "Passed! The z-step picks the column of W with the least energy.",
        lang=lang,
    )


def _lloyd_reference(y, W):
    z = _model(W).infer(y)
    k = W.shape[1]
    counts = torch.bincount(z, minlength=k).to(y.dtype)
    sums = torch.zeros(y.shape[1], k, dtype=y.dtype).index_add_(1, z, y.T)
    return torch.where(counts > 0, sums / counts.clamp_min(1), W)


def _lloyd_hint(y, W, W_new, truth):
    """A specific hint for the usual wrong W-steps, or None."""
    z = _model(W).infer(y)
    counts = torch.bincount(z, minlength=W.shape[1]).to(y.dtype)
    empty = counts == 0
    W_new = W_new.to(W.dtype)
    if torch.equal(W_new, W):
        return (
            "W가 그대로다: 각 열을 자기 점들의 평균으로 바꾸자.",
            "W did not change: set each column to the mean of its points.",
        )
    sums = torch.zeros_like(W).index_add_(1, z, y.T)
    if _tensor_close(W_new[:, ~empty], sums[:, ~empty]):
        return (
            "열이 점들의 합이 되었다: 점의 개수 n_j로 나누어 평균을 내자.",
            "each column became the sum of its points: divide by their number n_j to get the mean.",
        )
    if empty.any() and _tensor_close(W_new[:, ~empty], truth[:, ~empty]):
        return (
            "점이 없는 열(빈 군집)이 바뀌었다: 그 열은 원래 값을 그대로 두자(0이 아니라).",
            "a column with no point (an empty cluster) changed: keep its old value (not 0).",
        )
    step, target = (W_new - W)[:, ~empty], (truth - W)[:, ~empty]
    a = (step * target).sum() / target.square().sum().clamp_min(1e-300)
    if 0 < a < 1 and _tensor_close(step, a * target):
        return (
            "열이 평균 쪽으로 일부만 움직였다: 그래디언트 단계다. 정확한 W-단계는 평균까지 곧장 간다.",
            "the columns moved only part of the way to the means: that is a gradient step. "
            "The exact W-step goes all the way to the mean.",
        )
    return None


def check_lloyd_step(fn, lang=None) -> CheckResult:
    """Exercise: fn(y, W) -> new W after one z-step and one exact W-step (an empty cluster keeps its column),
    and the mean energy never goes up. The package's own steps are refused: the exercise is to write them."""
    refused = _packaged(fn, lang)
    if refused is not None:
        return refused
    cases = _cases()
    far = torch.tensor([[0.0, 0.0], [0.1, 0.0], [0.0, 0.2]], dtype=torch.float64)
    cases.append((far, torch.tensor([[0.0, 50.0], [0.0, 50.0]], dtype=torch.float64)))  # prototype 1 gets no point
    for y, W in cases:
        W_new, err = _call(fn, y.clone(), W.clone())
        if err:
            return _fail(err[0], err[1], lang)
        if not isinstance(W_new, torch.Tensor) or W_new.shape != W.shape:
            return _fail(
                f"W와 같은 모양 {tuple(W.shape)}의 텐서를 돌려주어야 한다.",
                f"return a tensor of W's shape {tuple(W.shape)}.",
                lang,
            )
        if not torch.isfinite(W_new).all():
            return _fail(
                "nan이 나왔다: 점이 하나도 없는 군집은 0으로 나누게 된다. 그 열은 그대로 두자.",
                "nan appeared: a cluster with no point divides by zero. Keep that column as it was.",
                lang,
            )
        truth = _lloyd_reference(y, W)
        if not _tensor_close(W_new, truth):
            hint = _lloyd_hint(y, W, W_new, truth)
            if hint:
                return _fail(hint[0], hint[1], lang)
            return _fail(
                "먼저 z-단계(가장 가까운 열)로 점을 나누고, 열 w_j를 자기 점들의 평균으로 바꾸자: "
                "그 평균이 ||y - w_j||²의 합을 정확히 최소화한다.",
                "first the z-step (closest column), then replace each w_j by the mean of its points: "
                "that mean minimises the sum of ||y - w_j||² exactly.",
                lang,
            )
        before = _model(W).free_energy(y).mean()
        after = _model(W_new).free_energy(y).mean()
        if after > before + 1e-12:
            return _result(
                False, "", "", "에너지가 올라갔다: W-단계를 확인하자.", "the energy went up: check the W-step.", lang
            )
    return _result(
        True,
        "통과! 로이드(Lloyd) 한 단계: z-단계와 W-단계 모두 정확한 최소화이므로 에너지가 올라갈 수 없다.",
        "Passed! One Lloyd step: both the z-step and the W-step minimise exactly, so the energy cannot go up.",
        lang=lang,
    )


def check_free_energy_kmeans(fn, lang=None) -> CheckResult:
    """Exercise: fn(y, W, beta) -> F_beta(y) = -(1/beta) log( (1/k) sum_j exp(-beta ||y - w_j||^2) ), shape (n,)."""
    y, W = _cases()[1]
    y = 10.0 * y  # energies up to a few hundred: exp(-beta E) underflows without a shift
    model = _model(W)
    for beta in (0.01, 1.0, 30.0):
        F, err = _call(fn, y.clone(), W.clone(), beta)
        if err:
            return _fail(err[0], err[1], lang)
        truth = model.free_energy(y, beta=beta)
        if not isinstance(F, torch.Tensor) or F.shape != truth.shape:
            return _fail(
                f"점마다 값 하나, 모양 {tuple(truth.shape)}인 텐서를 돌려주어야 한다.",
                f"return one value per point, a tensor of shape {tuple(truth.shape)}.",
                lang,
            )
        if not torch.isfinite(F).all():
            return _fail(
                f"β={beta}에서 inf나 nan이 나왔다: exp(-βE)가 0으로 언더플로한다. torch.logsumexp를 쓰자.",
                f"inf or nan at β={beta}: exp(-βE) underflows to 0. Use torch.logsumexp.",
                lang,
            )
        if _tensor_close(F, model.free_energy(y)) and not _tensor_close(F, truth):
            return _fail(
                f"β={beta}에서 최솟값 F_∞를 돌려주었다: 유한한 β에서는 부드러운 최솟값 -(1/β) log mean exp(-βE)를 쓰자.",
                f"at β={beta} this is the minimum F_∞: at finite β take the soft minimum -(1/β) log mean exp(-βE).",
                lang,
            )
        no_mean = truth - math.log(W.shape[1]) / beta
        if _tensor_close(F, no_mean) and not _tensor_close(F, truth):
            return _fail(
                "강의 노트의 F_β처럼 1/k가 빠졌다: log 안에서 합 대신 평균을 쓰자(- log k).",
                "the 1/k is missing, as in the lecture note's F_β: take the mean, not the sum, inside the log (- log k).",
                lang,
            )
        if not _tensor_close(F, truth, rtol=1e-6, atol=1e-8):
            return _fail(
                f"β={beta}에서 값이 다르다: F_β(y) = -(1/β) log((1/k) Σ_j exp(-β ||y - w_j||²))인지 확인하자.",
                f"wrong values at β={beta}: is it F_β(y) = -(1/β) log((1/k) Σ_j exp(-β ||y - w_j||²))?",
                lang,
            )
    return _result(
        True,
        "통과! β가 크면 F_β는 가장 낮은 에너지(F_∞)에, β가 작으면 k개 에너지의 평균에 가까워진다.",
        "Passed! For large β, F_β approaches the lowest energy (F_∞); for small β, the mean of the k energies.",
        lang=lang,
    )
