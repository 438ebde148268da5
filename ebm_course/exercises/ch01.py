"""Checks for chapter 1 (self-supervised learning, and predicting an uncertain future)."""

from __future__ import annotations

import contextlib
import math

import torch

from .. import data
from ._base import CheckResult, _call, _fail, _result

__all__ = ["check_squared_error_optimum", "check_cross_entropy_optimum", "check_latent_loss"]


class _Banned(BaseException):
    """Raised when the student's function calls what the exercise asks to do without (a BaseException, so that
    the ``except Exception`` of ``_call`` lets it through to ``_run``)."""


@contextlib.contextmanager
def _without_optimisers():
    """Any torch optimiser created inside raises _Banned: the exercise asks for the answer by hand."""
    original = torch.optim.Optimizer.__init__

    def banned(self, *args, **kwargs):
        raise _Banned("torch.optim")

    torch.optim.Optimizer.__init__ = banned
    try:
        yield
    finally:
        torch.optim.Optimizer.__init__ = original


@contextlib.contextmanager
def _without_free_energy():
    """ec.free_energy (and the latent model's own loss) raise _Banned while the student's code runs."""
    import ebm_course

    from .. import energy, ssl

    def banned(*args, **kwargs):
        raise _Banned("free_energy")

    saved = (ebm_course.free_energy, energy.free_energy, ssl.LatentRegressor.free_energy)
    ebm_course.free_energy = energy.free_energy = ssl.LatentRegressor.free_energy = banned
    try:
        yield
    finally:
        ebm_course.free_energy, energy.free_energy, ssl.LatentRegressor.free_energy = saved


def _run(fn, args, ban):
    """(value, None) or (None, (hint_ko, hint_en)), with the banned shortcut reported as such."""
    try:
        with ban():
            return _call(fn, *args)
    except _Banned as b:
        name = str(b)
        return None, (
            f"{name}를 쓰지 말고 직접 계산하자: 이 연습 문제는 그 계산을 손으로 해 보는 것이다.",
            f"compute it yourself, without {name}: the exercise is to do that step by hand.",
        )


def _as_tensor(out, shape):
    if not isinstance(out, torch.Tensor):
        return None
    out = out.detach()
    if out.shape != shape or not out.is_floating_point() or not torch.isfinite(out).all():
        return None
    return out.to(torch.float64)


def _three_way():
    """A blob that goes 4 pixels left (1/4), stays (1/4) or goes 4 pixels right (1/2); and a random case."""
    futures = data.blob_frames(torch.tensor([10.0, 14.0, 18.0]), width=28)
    g = torch.Generator().manual_seed(5)
    random = torch.rand(4, 6, generator=g, dtype=torch.float64)
    return [
        (futures, torch.tensor([0.25, 0.25, 0.5], dtype=torch.float64)),
        (random, torch.tensor([0.1, 0.4, 0.3, 0.2], dtype=torch.float64)),
    ]


def check_squared_error_optimum(fn, lang=None) -> CheckResult:
    """Exercise: fn(futures, p) -> the single frame y_hat (d,) that minimises sum_k p_k ||y_k - y_hat||^2,
    for futures (K, d) with probabilities p (K,), found by hand (no optimiser)."""
    for futures, p in _three_way():
        out, err = _run(fn, (futures.clone(), p.clone()), _without_optimisers)
        if err:
            return _fail(err[0], err[1], lang)
        d = futures.shape[1]
        y_hat = _as_tensor(out, (d,))
        if y_hat is None:
            return _fail(
                f"유한한 실수로 된, 모양 ({d},)인 프레임 하나를 텐서로 돌려주어야 한다.",
                f"return one frame: a tensor of shape ({d},) holding finite real numbers.",
                lang,
            )
        best = p @ futures
        if torch.allclose(y_hat, best, atol=1e-6):
            continue
        if torch.allclose(y_hat, futures[p.argmax()], atol=1e-6):
            return _fail(
                "가장 그럴듯한 미래 하나를 골랐다. 제곱 오차의 기댓값은 다른 미래들의 오차도 확률만큼 더한다.",
                "you picked the most likely future. The expected squared error also counts the other futures, "
                "each weighted by its probability.",
                lang,
            )
        if torch.allclose(y_hat, futures.mean(dim=0), atol=1e-6):
            return _fail(
                "미래들을 똑같은 무게로 평균했다. 미래마다 그 확률 p_k만큼의 무게를 주자.",
                "you averaged the futures with equal weights; weight each one by its probability p_k.",
                lang,
            )
        return _fail(
            "sum_k p_k ||y_k - ŷ||²을 ŷ로 미분해 0으로 놓아 보자.",
            "differentiate sum_k p_k ||y_k - ŷ||² with respect to ŷ and set it to 0.",
            lang,
        )
    return _result(
        True,
        "통과! 제곱 오차가 가장 작은 예측은 가능한 미래들을 확률로 섞은 것이어서, 어느 미래와도 같지 않다.",
        "Passed! The squared-error optimum blends the possible futures by their probabilities: it is none of them.",
        lang=lang,
    )


def check_cross_entropy_optimum(fn, lang=None) -> CheckResult:
    """Exercise: fn(counts) -> the distribution q (K,) that minimises the training cross-entropy
    -sum_k counts_k log q_k, found by hand (no optimiser)."""
    cases = [
        torch.tensor([47.0, 53.0], dtype=torch.float64),
        torch.tensor([3.0, 0.0, 9.0, 4.0, 0.0], dtype=torch.float64),
        torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], dtype=torch.float64),
    ]
    for counts in cases:
        out, err = _run(fn, (counts.clone(),), _without_optimisers)
        if err:
            return _fail(err[0], err[1], lang)
        K = counts.shape[0]
        q = _as_tensor(out, (K,))
        if q is None:
            return _fail(
                f"유한한 실수로 된, 모양 ({K},)인 확률 벡터를 텐서로 돌려주어야 한다.",
                f"return a probability vector: a tensor of shape ({K},) holding finite real numbers.",
                lang,
            )
        best = counts / counts.sum()
        if torch.allclose(q, best, atol=1e-6):
            continue
        if torch.allclose(q, torch.softmax(counts, dim=0), atol=1e-6):
            return _fail(
                "개수에 소프트맥스를 씌웠다. 개수는 로짓이 아니다: 확률은 개수에 비례한다.",
                "you took the softmax of the counts. Counts are not logits: the probabilities are proportional to them.",
                lang,
            )
        if (q < -1e-12).any() or abs(q.sum().item() - 1) > 1e-6:
            return _fail(
                "확률은 0 이상이고 합이 1이어야 한다.",
                "probabilities must be >= 0 and sum to 1.",
                lang,
            )
        if torch.allclose(q, torch.nn.functional.one_hot(counts.argmax(), K).double()):
            return _fail(
                "가장 많이 나온 결과에 확률을 모두 주었다. 그러면 다른 결과가 나온 샘플의 -log q가 무한대가 된다.",
                "you put all the probability on the most frequent outcome: the samples with another outcome then "
                "cost -log 0 = infinity.",
                lang,
            )
        if torch.allclose(q, torch.full((K,), 1.0 / K, dtype=torch.float64)):
            return _fail(
                "모든 결과에 똑같은 확률을 주었다. 더 자주 나온 결과에 더 큰 확률을 주면 교차 엔트로피가 줄어든다.",
                "you gave every outcome the same probability; more probability on the more frequent outcomes "
                "lowers the cross-entropy.",
                lang,
            )
        return _fail(
            "합이 1이라는 조건 아래 -sum_k n_k log q_k를 최소화하자(라그랑주 승수).",
            "minimise -sum_k n_k log q_k subject to sum_k q_k = 1 (a Lagrange multiplier).",
            lang,
        )
    return _result(
        True,
        "통과! 교차 엔트로피를 최소화하는 소프트맥스는 데이터에서 본 빈도, 곧 참 분포를 배운다.",
        "Passed! A softmax trained by cross-entropy learns the observed frequencies: the true distribution.",
        lang=lang,
    )


def check_latent_loss(fn, lang=None) -> CheckResult:
    """Exercise: fn(y, y_bar) -> mean_i min_z ||y_i - y_bar_iz||^2 for y (n, d) and the predictions
    y_bar (n, k, d) of every latent z, computed without ec.free_energy."""
    g = torch.Generator().manual_seed(7)
    cases = []
    for n, k, d in ((6, 2, 5), (40, 3, 8), (1, 4, 3)):
        cases.append(
            (
                torch.randn(n, d, generator=g, dtype=torch.float64),
                torch.randn(n, k, d, generator=g, dtype=torch.float64),
            )
        )
    for y, y_bar in cases:
        out, err = _run(fn, (y.clone(), y_bar.clone()), _without_free_energy)
        if err:
            return _fail(err[0], err[1], lang)
        if isinstance(out, torch.Tensor) and out.numel() == 1:
            out = out.detach().item()
        if isinstance(out, bool) or not isinstance(out, (int, float)) or not math.isfinite(out):
            return _fail(
                "모든 샘플에 대한 평균, 곧 유한한 숫자 하나를 돌려주어야 한다.",
                "return one finite number: the mean over the samples.",
                lang,
            )
        E = (y[:, None, :] - y_bar).square().sum(dim=2)  # (n, k)
        best = E.amin(dim=1).mean().item()
        if abs(out - best) <= 1e-8 * max(1.0, abs(best)):
            continue
        wrong = {
            "mean": (
                E.mean(dim=1).mean().item(),
                "z에 대해 평균을 냈다. 그것은 모든 z를 모든 샘플 쪽으로 끌어당겨 흐릿한 평균을 배우게 한다. z에 대해서는 최솟값이다.",
                "you averaged over z: that pulls every z towards every sample and learns the blurred mean. Take the minimum over z.",
            ),
            "max": (
                E.amax(dim=1).mean().item(),
                "z에 대해 최댓값을 골랐다. 에너지가 가장 낮은 z, 곧 최솟값이다.",
                "you took the maximum over z; inference picks the z of least energy, the minimum.",
            ),
            "norm": (
                (y[:, None, :] - y_bar).norm(dim=2).amin(dim=1).mean().item(),
                "노름이 아니라 노름의 제곱이다.",
                "the squared norm, not the norm.",
            ),
            "sum": (
                E.amin(dim=1).sum().item(),
                "샘플에 대해 합이 아니라 평균을 내자.",
                "take the mean over the samples, not the sum.",
            ),
            "axis": (
                E.amin(dim=0).mean().item(),
                "최솟값은 샘플 축이 아니라 z 축(dim=1)으로 구하자.",
                "take the minimum along the z axis (dim=1), not along the samples.",
            ),
        }
        for value, hint_ko, hint_en in wrong.values():
            if abs(out - value) <= 1e-8 * max(1.0, abs(value)) and abs(value - best) > 1e-6:
                return _fail(hint_ko, hint_en, lang)
        return _fail(
            "E[i, z] = ||y_i - ȳ_iz||²을 (n, k) 모양으로 계산하고, z에 대한 최솟값을 샘플에 대해 평균하자.",
            "compute E[i, z] = ||y_i - ȳ_iz||² as an (n, k) tensor, take the minimum over z, then the mean over samples.",
            lang,
        )
    return _result(
        True,
        "통과! z에 대한 최솟값 F_∞가 잠재 변수 모델의 손실이다.",
        "Passed! The minimum over z, F_∞, is the latent-variable model's loss.",
        lang=lang,
    )
