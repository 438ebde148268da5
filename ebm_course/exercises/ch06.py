"""Checks for chapter 6 (masked autoencoding: BERT and inpainting)."""

from __future__ import annotations

import math

import numpy as np
import torch

from .. import data
from ._base import CheckResult, _call, _fail, _result

__all__ = ["check_mask_tokens", "check_kl", "check_exact_conditional"]


def _shape(x) -> str:
    return str(tuple(x.shape)) if isinstance(x, torch.Tensor) else type(x).__name__


def check_mask_tokens(fn, lang=None) -> CheckResult:
    """Exercise: fn(tokens, ratio, mask_id, generator=g) -> (y_tilde, masked): exactly
    k = max(1, round(ratio * L)) positions per row, drawn uniformly, set to mask_id."""
    n, L, V = 4000, 8, 20
    tokens = torch.randint(V, (n, L), generator=torch.Generator().manual_seed(0))
    for ratio in (0.25, 0.6):
        k = max(1, round(ratio * L))
        out, err = _call(lambda r=ratio: fn(tokens.clone(), r, V, generator=torch.Generator().manual_seed(1)))
        if err:
            return _fail(err[0], err[1], lang)
        if not (isinstance(out, tuple) and len(out) == 2):
            return _fail(
                "(y_tilde, masked) 두 텐서를 튜플로 돌려주어야 한다.",
                "return a tuple of two tensors, (y_tilde, masked).",
                lang,
            )
        y_tilde, masked = out
        if not isinstance(y_tilde, torch.Tensor) or y_tilde.shape != tokens.shape:
            return _fail(
                f"y_tilde는 tokens와 같은 모양 {tuple(tokens.shape)}의 텐서여야 한다(받은 것: {_shape(y_tilde)}).",
                f"y_tilde must be a tensor of the shape of tokens, {tuple(tokens.shape)} (got {_shape(y_tilde)}).",
                lang,
            )
        if y_tilde.is_floating_point():
            return _fail(
                "y_tilde가 실수 텐서가 되었다. 단어 번호는 정수로 남아야 한다: tokens.masked_fill(masked, mask_id).",
                "y_tilde became a float tensor. Word ids stay integers: tokens.masked_fill(masked, mask_id).",
                lang,
            )
        if not isinstance(masked, torch.Tensor) or masked.shape != tokens.shape or masked.dtype != torch.bool:
            return _fail(
                f"masked는 모양 {tuple(tokens.shape)}의 불리언(bool) 텐서여야 한다.",
                f"masked must be a boolean tensor of shape {tuple(tokens.shape)}.",
                lang,
            )
        counts = masked.sum(dim=1)
        if not (counts == k).all():
            return _fail(
                f"ratio={ratio}, L={L}이면 문장마다 정확히 k = max(1, round(ratio·L)) = {k}개를 가려야 한다"
                f"(받은 것: {counts.min().item()}~{counts.max().item()}개). 위치마다 동전을 던지지 말고 k개를 고르자.",
                f"with ratio={ratio} and L={L}, hide exactly k = max(1, round(ratio·L)) = {k} words in every sentence "
                f"(got between {counts.min().item()} and {counts.max().item()}). Pick k positions; do not toss a coin per position.",
                lang,
            )
        if not (
            torch.equal(y_tilde[masked], torch.full_like(y_tilde[masked], V))
            and torch.equal(y_tilde[~masked], tokens[~masked])
        ):
            return _fail(
                "가린 위치는 mask_id, 나머지는 원래 단어여야 한다.",
                "hidden positions must hold mask_id, the others their original word.",
                lang,
            )
        if (masked == masked[0]).all():
            return _fail(
                "모든 문장에서 같은 위치를 가렸다. 문장마다 따로 뽑자(예: torch.rand(n, L).argsort(dim=1)).",
                "every sentence hides the same positions. Draw them for each sentence (e.g. torch.rand(n, L).argsort(dim=1)).",
                lang,
            )
        freq = masked.double().mean(dim=0)
        if (freq - k / L).abs().max().item() > 0.04:
            return _fail(
                f"위치마다 가려지는 빈도가 k/L = {k / L:.3f}이어야 하는데 {freq.min().item():.3f}에서 {freq.max().item():.3f}까지 다르다. 위치를 고르게 뽑자.",
                f"each position should be hidden with frequency k/L = {k / L:.3f}; yours range from {freq.min().item():.3f} to {freq.max().item():.3f}. Draw the positions uniformly.",
                lang,
            )
    return _result(
        True,
        "통과! 문장마다 같은 수의 단어를 고르게 가리는 BERT식 손상이다.",
        "Passed! BERT's corruption: the same number of words hidden in every sentence, uniformly.",
        lang=lang,
    )


def _number(out):
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        return out.item()
    if isinstance(out, np.ndarray) and out.size == 1:
        return out.item()
    if isinstance(out, np.floating | np.integer):
        return float(out)
    return out


def check_kl(fn, lang=None) -> CheckResult:
    """Exercise: fn(p, q) -> mean over rows of KL(p || q) = sum_v p log(p / q), in nats, with 0 log 0 = 0."""
    g = torch.Generator().manual_seed(0)
    p = torch.softmax(3 * torch.randn(50, 6, generator=g, dtype=torch.float64), dim=1)
    p[::3, 0] = 0.0  # some rows put no mass on a word
    p = p / p.sum(dim=1, keepdim=True)
    q = torch.softmax(torch.randn(50, 6, generator=g, dtype=torch.float64), dim=1)

    def per_row(a, b):
        return torch.where(a > 0, a * (a.clamp_min(1e-300).log() - b.log()), 0.0).sum(dim=1)

    expected = per_row(p, q).mean().item()
    out, err = _call(fn, p.clone(), q.clone())
    if err:
        return _fail(err[0], err[1], lang)
    if isinstance(out, torch.Tensor) and out.numel() == p.shape[0]:
        return _fail(
            "행마다 KL을 구한 뒤 그 평균 하나를 돌려주자.",
            "compute the KL of each row, then return their mean, one number.",
            lang,
        )
    out = _number(out)
    if isinstance(out, bool) or not isinstance(out, (int, float)):
        return _fail("숫자 하나를 돌려주어야 한다.", "return one number.", lang)
    if math.isnan(out):
        return _fail(
            "nan이 나왔다. p = 0인 항은 0 log 0 = 0으로 두어야 한다(torch.where(p > 0, ..., 0)).",
            "you got nan. Terms with p = 0 count as 0 log 0 = 0 (torch.where(p > 0, ..., 0)).",
            lang,
        )
    if math.isinf(out):
        return _fail(
            "무한대가 나왔다. 0인 p로 나누었다: KL(p ‖ q)는 p로 평균한다. p와 q가 바뀌지 않았는지 보자.",
            "you got inf: a division by a p that is 0. KL(p ‖ q) averages over p: are p and q swapped?",
            lang,
        )
    if abs(out - expected) <= 1e-8 * max(1.0, abs(expected)):
        return _result(
            True,
            "통과! 참 분포 p에서 본 모델 q의 KL 발산, 단위는 내트(nat)다.",
            "Passed! The KL divergence of the model q from the true p, in nats.",
            lang=lang,
        )
    if abs(out - expected / math.log(2)) < 1e-8:
        hint = ("비트가 아니라 내트다: 자연로그(log)를 쓰자.", "nats, not bits: use the natural log.")
    elif abs(out - per_row(p, q).sum().item()) < 1e-6:
        hint = ("행에 대해 더하지 말고 평균하자.", "average over the rows, do not sum.")
    else:
        hint = (
            "값이 다르다. KL(p ‖ q) = Σ_v p_v (log p_v − log q_v)를 행마다 구해 평균하자.",
            "wrong value. KL(p ‖ q) = Σ_v p_v (log p_v − log q_v) for each row, then the mean.",
        )
    return _fail(hint[0], hint[1], lang)


def _grammar() -> data.Grammar:
    return data.Grammar(
        {
            "S": [("a X", 0.5), ("b Y", 0.3), ("c X", 0.2)],
            "X": [("d Z", 0.6), ("e Z", 0.4)],
            "Y": [("d f", 0.5), ("e g", 0.5)],
            "Z": [("f", 0.7), ("g", 0.3)],
        }
    )


def check_exact_conditional(fn, lang=None) -> CheckResult:
    """Exercise: fn(sentences, probs, tokens, masked, vocab_size) -> (n, L, V), the exact P(w_i | visible words)
    at hidden positions (one-hot at visible ones), by enumeration of the finite language."""
    G = _grammar()
    V, L = G.vocab_size, G.length
    tokens = G.sample(40, seed=3)
    masked = torch.rand(40, L, generator=torch.Generator().manual_seed(4)) < 0.5
    masked[:, 1] = True  # every row hides its middle word
    tokens = tokens.masked_fill(masked, V)
    expected = G.conditional(tokens, masked)
    out, err = _call(fn, G.sentences.clone(), G.probs.clone(), tokens.clone(), masked.clone(), V)
    if err:
        return _fail(err[0], err[1], lang)
    if not isinstance(out, torch.Tensor) or out.shape != expected.shape:
        return _fail(
            f"모양 (n, L, V) = {tuple(expected.shape)}의 텐서를 돌려주어야 한다(받은 것: {_shape(out)}).",
            f"return a tensor of shape (n, L, V) = {tuple(expected.shape)} (got {_shape(out)}).",
            lang,
        )
    out = out.detach().to(torch.float64)
    if torch.isnan(out).any():
        return _fail(
            "nan이 나왔다. 가린 위치는 비교하지 말자: 문장이 보이는 단어와 모두 같으면 일치한다.",
            "you got nan. Do not compare the hidden positions: a sentence agrees when it matches every visible word.",
            lang,
        )
    if torch.allclose(out, expected, atol=1e-9):
        return _result(
            True,
            "통과! 보이는 단어와 맞는 문장만 남기고 확률을 다시 정규화하면 정확한 조건부 분포다.",
            "Passed! Keep the sentences that agree with the visible words and renormalise: the exact conditional.",
            lang=lang,
        )
    marginal = torch.einsum("m,mlv->lv", G.probs, torch.nn.functional.one_hot(G.sentences, V).double())
    at = masked
    sums = out[at].sum(dim=1)
    if torch.allclose(out[at], marginal.expand(40, L, V)[at], atol=1e-9):
        hint = (
            "문맥을 무시한 주변 분포다. 보이는 단어와 일치하는 문장만 세자.",
            "that is the marginal, blind to the context. Count only the sentences that agree with the visible words.",
        )
    elif not torch.allclose(sums, torch.ones_like(sums), atol=1e-6):
        hint = (
            "가린 위치마다 확률의 합이 1이어야 한다. 일치하는 문장들의 확률 합으로 나누자.",
            "at every hidden position the probabilities must sum to 1: divide by the total probability of the agreeing sentences.",
        )
    else:
        hint = (
            "값이 다르다. P(w_i = v | 보이는 단어) = Σ_{일치하고 s_i = v} P(s) / Σ_{일치} P(s)이다.",
            "wrong values. P(w_i = v | visible words) = Σ_{agreeing s with s_i = v} P(s) / Σ_{agreeing s} P(s).",
        )
    return _fail(hint[0], hint[1], lang)
