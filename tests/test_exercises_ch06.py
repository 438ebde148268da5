"""The exercise checks of chapter 6 (masked autoencoding): right answers written other ways pass; typical wrong ones, a
constant and unfinished code fail with a hint, in both languages."""

from __future__ import annotations

import math

import pytest
import torch

from ebm_course import data, exercises, masked

RULES = {
    "S": [("cats VP_CAT", 0.5), ("dogs VP_DOG", 0.5)],
    "VP_CAT": [("chase PREY", 0.6), ("eat fish", 0.4)],
    "VP_DOG": [("chase balls", 0.7), ("eat bones", 0.3)],
    "PREY": [("mice", 0.75), ("birds", 0.25)],
}


# ---------------------------------------------------------------- the chapter's exercise checks


def _mask_right(tokens, ratio, mask_id, generator):
    n, L = tokens.shape
    k = max(1, round(ratio * L))
    scores = torch.rand(n, L, generator=generator)
    hidden = scores <= scores.sort(dim=1).values[:, k - 1 : k]  # the k smallest scores of each row
    return torch.where(hidden, mask_id, tokens), hidden


def _mask_bernoulli(tokens, ratio, mask_id, generator):
    hidden = torch.rand(tokens.shape, generator=generator) < ratio
    return tokens.masked_fill(hidden, mask_id), hidden


def _mask_same_positions(tokens, ratio, mask_id, generator):
    k = max(1, round(ratio * tokens.shape[1]))
    hidden = torch.zeros_like(tokens, dtype=torch.bool)
    hidden[:, torch.randperm(tokens.shape[1], generator=generator)[:k]] = True
    return tokens.masked_fill(hidden, mask_id), hidden


def _mask_float(tokens, ratio, mask_id, generator):
    y, hidden = masked.mask_tokens(tokens, ratio, mask_id, generator=generator)
    return y.double(), hidden


def _mask_first_k(tokens, ratio, mask_id, generator):
    k = max(1, round(ratio * tokens.shape[1]))
    weights = torch.ones(tokens.shape, dtype=torch.float64)
    weights[:, 0] = 5.0  # position 0 hidden more often: not uniform
    picked = torch.multinomial(weights, k, replacement=False, generator=generator)
    hidden = torch.zeros_like(tokens, dtype=torch.bool).scatter_(1, picked, True)
    return tokens.masked_fill(hidden, mask_id), hidden


def _kl_loop(p, q):
    total = 0.0
    for pr, qr in zip(p.tolist(), q.tolist()):
        total += sum(a * math.log(a / b) for a, b in zip(pr, qr) if a > 0)
    return total / len(p)


def _conditional_loop(sentences, probs, tokens, m, V):
    out = torch.zeros(tokens.shape[0], tokens.shape[1], V, dtype=torch.float64)
    for r in range(tokens.shape[0]):
        keep = [
            (s, p)
            for s, p in zip(sentences.tolist(), probs.tolist())
            if all(m[r, i] or s[i] == tokens[r, i] for i in range(len(s)))
        ]
        z = sum(p for _, p in keep)
        for s, p in keep:
            for i, w in enumerate(s):
                out[r, i, w] += p / z
    return out


def _conditional_marginal(sentences, probs, tokens, m, V):
    onehot = torch.nn.functional.one_hot(sentences, V).double()
    marg = torch.einsum("m,mlv->lv", probs, onehot).expand(tokens.shape[0], -1, -1).clone()
    vis = torch.nn.functional.one_hot(tokens.clamp(max=V - 1), V).double()
    return torch.where(m[..., None], marg, vis)


def _conditional_unnormalised(sentences, probs, tokens, m, V):
    agree = ((sentences[None] == tokens[:, None]) | m[:, None]).all(dim=2)
    return torch.einsum("nm,mlv->nlv", probs * agree, torch.nn.functional.one_hot(sentences, V).double())


def _conditional_compares_hidden(sentences, probs, tokens, m, V):
    agree = (sentences[None] == tokens[:, None]).all(dim=2)
    w = probs * agree
    return torch.einsum(
        "nm,mlv->nlv", w / w.sum(dim=1, keepdim=True), torch.nn.functional.one_hot(sentences, V).double()
    )


@pytest.mark.parametrize(
    ("check", "fn", "passes", "hint"),
    [
        ("check_mask_tokens", masked.mask_tokens, True, ""),
        ("check_mask_tokens", _mask_right, True, ""),
        ("check_mask_tokens", _mask_bernoulli, False, "exactly k"),
        ("check_mask_tokens", _mask_same_positions, False, "same positions"),
        ("check_mask_tokens", _mask_float, False, "stay integers"),
        ("check_mask_tokens", _mask_first_k, False, "uniformly"),
        ("check_mask_tokens", lambda t, r, i, generator: t, False, "tuple"),
        ("check_kl", masked.kl, True, ""),
        ("check_kl", _kl_loop, True, ""),
        ("check_kl", lambda p, q: (q * (q / p).log()).sum(dim=1).mean(), False, "swapped"),
        ("check_kl", lambda p, q: (p * (p / q).log()).sum(dim=1).mean(), False, "0 log 0"),
        ("check_kl", lambda p, q: masked.kl(p, q) / math.log(2), False, "natural log"),
        ("check_kl", lambda p, q: masked.kl(p, q) * len(p), False, "do not sum"),
        ("check_kl", lambda p, q: 0.0, False, "wrong value"),
        ("check_kl", lambda p, q: torch.zeros(len(p)), False, "one number"),
        ("check_exact_conditional", data.exact_conditional, True, ""),
        ("check_exact_conditional", _conditional_loop, True, ""),
        ("check_exact_conditional", _conditional_marginal, False, "marginal"),
        ("check_exact_conditional", _conditional_unnormalised, False, "sum to 1"),
        ("check_exact_conditional", _conditional_compares_hidden, False, "nan"),
        (
            "check_exact_conditional",
            lambda s, p, t, m, V: torch.full((t.shape[0], t.shape[1], V), 1.0 / V),
            False,
            "wrong values",
        ),
    ],
)
def test_exercise_checks_pass_right_answers_and_explain_wrong_ones(check, fn, passes, hint, monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    res = getattr(exercises, check)(fn, lang="en")
    assert res.passed is passes, res.message
    assert hint in res.message
    assert getattr(exercises, check)(fn, lang="ko").message != res.message
    if not passes:
        assert res.message.startswith("Hint: ")
        monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
        with pytest.raises(AssertionError):
            getattr(exercises, check)(fn)


def test_exercise_checks_report_unfinished_code(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)

    def unfinished(*args, **kwargs):
        raise NotImplementedError

    for check in ("check_mask_tokens", "check_kl", "check_exact_conditional"):
        res = getattr(exercises, check)(unfinished, lang="en")
        assert not res.passed and "not implemented" in res.message
