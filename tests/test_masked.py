"""Masked autoencoding: masking, the grammar's exact conditionals, the masked model, inpainting, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from ebm_course import _check, data, masked

RULES = {
    "S": [("cats VP_CAT", 0.5), ("dogs VP_DOG", 0.5)],
    "VP_CAT": [("chase PREY", 0.6), ("eat fish", 0.4)],
    "VP_DOG": [("chase balls", 0.7), ("eat bones", 0.3)],
    "PREY": [("mice", 0.75), ("birds", 0.25)],
}


@pytest.fixture(scope="module")
def grammar():
    return data.Grammar(RULES)


def _tokens(n=30, L=5, V=7, seed=0):
    return torch.randint(V, (n, L), generator=torch.Generator().manual_seed(seed))


# ---------------------------------------------------------------- the integer-tensor rule


def test_int_tensor_keeps_integers_and_rejects_floats_and_booleans():
    t = _check.int_tensor(torch.tensor([[1, 2]]), "tokens")
    assert t.dtype == torch.long
    assert _check.int_tensor(np.array([[1, 2]], dtype=np.int32), "tokens").dtype == torch.long
    assert _check.int_tensor([[3, 4]], "tokens").tolist() == [[3, 4]]
    with pytest.raises(TypeError, match="tokens must hold integers"):
        _check.int_tensor(torch.tensor([[1.0, 2.0]]), "tokens")
    with pytest.raises(TypeError, match="tokens must hold integers"):
        _check.int_tensor([[1.5, 2.0]], "tokens")
    with pytest.raises(TypeError, match="tokens must hold integers"):
        _check.int_tensor(torch.tensor([[True]]), "tokens")
    with pytest.raises(TypeError, match="tokens"):
        _check.int_tensor("1 2", "tokens")
    with pytest.raises(ValueError, match="tokens must not be empty"):
        _check.int_tensor([], "tokens")
    with pytest.raises(ValueError, match="tokens must be < 5"):
        _check.int_tensor([[1, 5]], "tokens", high=5)


# ---------------------------------------------------------------- mask_tokens


def test_mask_tokens_hides_exactly_k_words_per_sentence_and_keeps_the_rest():
    tokens = _tokens(200, 8)
    y_tilde, m = masked.mask_tokens(tokens, 0.4, mask_id=7, seed=1)
    assert y_tilde.dtype == tokens.dtype and m.dtype == torch.bool
    assert (m.sum(dim=1) == round(0.4 * 8)).all()
    assert (y_tilde[m] == 7).all() and torch.equal(y_tilde[~m], tokens[~m])
    assert torch.equal(tokens, _tokens(200, 8))  # the input is not changed in place


def test_mask_tokens_hides_at_least_one_word_and_each_position_equally_often():
    _, m = masked.mask_tokens(_tokens(20000, 4), 0.01, mask_id=9, seed=2)
    assert (m.sum(dim=1) == 1).all()
    assert torch.allclose(m.double().mean(dim=0), torch.full((4,), 0.25, dtype=torch.float64), atol=0.02)


def test_mask_tokens_is_reproducible_and_leaves_the_global_generator_alone():
    tokens = _tokens()
    state = torch.get_rng_state()
    a = masked.mask_tokens(tokens, 0.5, 7, seed=3)
    b = masked.mask_tokens(tokens, 0.5, 7, seed=3)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert torch.equal(state, torch.get_rng_state())
    c = masked.mask_tokens(tokens, 0.5, 7, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a[1], c[1])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 20),
    L=st.integers(1, 12),
    ratio=st.floats(0.001, 0.999),
    seed=st.integers(0, 2**31),
)
def test_mask_tokens_property_count_values_and_dtype(n, L, ratio, seed):
    tokens = _tokens(n, L, seed=seed % 1000)
    y_tilde, m = masked.mask_tokens(tokens, ratio, mask_id=7, seed=seed)
    k = min(L, max(1, round(ratio * L)))
    assert (m.sum(dim=1) == k).all()
    assert y_tilde.dtype == torch.long and y_tilde.shape == tokens.shape
    assert torch.equal(torch.where(m, tokens, y_tilde), tokens)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"ratio": 0.0}, ValueError, r"ratio must be in \(0, 1\)"),
        ({"ratio": 1.0}, ValueError, r"ratio must be in \(0, 1\)"),
        ({"ratio": -0.5}, ValueError, "ratio"),
        ({"ratio": "0.5"}, TypeError, "ratio must be a real number"),
        ({"ratio": math.nan}, ValueError, "ratio"),
        ({"mask_id": -1}, ValueError, "mask_id"),
        ({"mask_id": 1.5}, TypeError, "mask_id"),
        ({"seed": -1}, ValueError, "seed"),
        ({"generator": 3}, TypeError, "generator"),
    ],
)
def test_mask_tokens_rejects_bad_arguments_naming_them(kwargs, err, match):
    args = {"tokens": _tokens(), "ratio": 0.5, "mask_id": 7, **kwargs}
    with pytest.raises(err, match=match):
        masked.mask_tokens(**args)


@pytest.mark.parametrize(
    ("tokens", "err", "match"),
    [
        (torch.zeros(3, 4), TypeError, "tokens must hold integers"),
        (torch.zeros(0, 4, dtype=torch.long), ValueError, "tokens must not be empty"),
        (torch.zeros(3, 0, dtype=torch.long), ValueError, "tokens must not be empty"),
        (torch.zeros(4, dtype=torch.long), ValueError, "tokens must have 2 dimension"),
        (-torch.ones(2, 3, dtype=torch.long), ValueError, "tokens must be >= 0"),
    ],
)
def test_mask_tokens_rejects_bad_tokens(tokens, err, match):
    with pytest.raises(err, match=match):
        masked.mask_tokens(tokens, 0.5, 7)


# ---------------------------------------------------------------- the grammar and its exact conditionals


def test_grammar_lists_its_language_with_probabilities_that_sum_to_one(grammar):
    assert grammar.vocab == ["cats", "dogs", "chase", "eat", "fish", "balls", "bones", "mice", "birds"]
    assert grammar.length == 3 and grammar.sentences.shape == (5, 3)
    assert grammar.probs.sum().item() == pytest.approx(1.0)
    p = dict(zip((grammar.decode(s) for s in grammar.sentences), grammar.probs.tolist()))
    assert p["cats chase mice"] == pytest.approx(0.5 * 0.6 * 0.75)
    assert p["dogs eat bones"] == pytest.approx(0.5 * 0.3)


def test_grammar_samples_follow_its_probabilities(grammar):
    s = grammar.sample(20000, seed=0)
    assert s.dtype == torch.long
    freq = (s[:, None] == grammar.sentences[None]).all(dim=2).double().mean(dim=0)
    assert torch.allclose(freq, grammar.probs, atol=0.015)
    assert torch.equal(grammar.sample(10, seed=5), grammar.sample(10, seed=5))


def test_exact_conditional_is_bayes_rule_on_a_hand_computed_case(grammar):
    V = grammar.vocab_size
    tokens = grammar.encode("cats chase mice")[None].clone()
    m = torch.tensor([[False, False, True]])
    P = grammar.conditional(tokens.masked_fill(m, V), m)
    assert P[0, 2, grammar.vocab.index("mice")].item() == pytest.approx(0.75)
    assert P[0, 2, grammar.vocab.index("birds")].item() == pytest.approx(0.25)
    # who chases? cats chase with 0.5 * 0.6 = 0.3, dogs with 0.5 * 0.7 = 0.35; hide the subject and the object
    m = torch.tensor([[True, False, True]])
    P = grammar.conditional(tokens.masked_fill(m, V), m)
    assert P[0, 0, 0].item() == pytest.approx(0.3 / 0.65) and P[0, 0, 1].item() == pytest.approx(0.35 / 0.65)
    assert P[0, 1, grammar.vocab.index("chase")].item() == 1.0  # visible: one-hot


def test_exact_conditional_equals_counting_in_a_large_sample(grammar):
    big = grammar.sample(50000, seed=1)
    tokens = grammar.encode("dogs eat bones")[None]
    m = torch.tensor([[False, True, True]])
    P = grammar.conditional(tokens.masked_fill(m, grammar.vocab_size), m)[0, 1]
    dogs = big[big[:, 0] == grammar.vocab.index("dogs")]
    freq = torch.bincount(dogs[:, 1], minlength=grammar.vocab_size).double() / len(dogs)
    assert torch.allclose(P, freq, atol=0.01)


def test_two_grammars_with_the_same_structure_give_the_same_ids():
    other = {
        k: [(" ".join(w.upper() if w.islower() else w for w in rhs.split()), p) for rhs, p in alts]
        for k, alts in RULES.items()
    }
    a, b = data.Grammar(RULES), data.Grammar(other)
    assert torch.equal(a.sentences, b.sentences) and torch.equal(a.probs, b.probs)
    assert b.vocab[0] == "CATS"


@pytest.mark.parametrize(
    ("rules", "kwargs", "match"),
    [
        ({"S": [("a b", 0.5), ("c d", 0.4)]}, {}, "must sum to 1"),
        ({"S": [("a S", 1.0)]}, {}, "recursive"),
        ({"S": [("a b", 0.5), ("c", 0.5)]}, {}, "same length"),
        ({"S": [("a", -1.0)]}, {}, "probability"),
        ({"S": []}, {}, "non-empty list"),
        ({"S": [("a", 1.0)]}, {"start": "T"}, "start"),
        ({"S": [("A A A A", 1.0)], "A": [("a", 0.5), ("b", 0.5)]}, {"max_sentences": 8}, "max_sentences"),
    ],
)
def test_grammar_rejects_bad_rules(rules, kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.Grammar(rules, **kwargs)


def test_grammar_rejects_a_rules_object_that_is_not_a_dict_and_probabilities_given_as_strings():
    with pytest.raises(TypeError, match="rules"):
        data.Grammar([("S", "a")])
    with pytest.raises(TypeError, match="probability"):
        data.Grammar({"S": [("a", "1")]})


def test_conditional_rejects_bad_input(grammar):
    V = grammar.vocab_size
    tokens = grammar.sample(4)
    m = torch.zeros(4, 3, dtype=torch.bool)
    with pytest.raises(TypeError, match="tokens must hold integers"):
        grammar.conditional(tokens.double(), m)
    with pytest.raises(TypeError, match="masked must be a boolean"):
        grammar.conditional(tokens, m.long())
    with pytest.raises(ValueError, match="shape"):
        grammar.conditional(tokens[:, :2], m[:, :2])
    impossible = grammar.encode("cats eat bones")[None]
    with pytest.raises(ValueError, match="no sentence of the language agrees"):
        grammar.conditional(impossible, torch.zeros(1, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="sentences must be <"):
        data.exact_conditional(grammar.sentences, grammar.probs, tokens, m, V - 1)
    with pytest.raises(ValueError, match="outside the vocabulary"):
        grammar.encode("cats chase cars")
    with pytest.raises(ValueError, match="ids must be <"):
        grammar.decode(torch.tensor([V + 1]))


# ---------------------------------------------------------------- kl


def test_kl_is_zero_for_equal_distributions_and_matches_a_hand_computed_value():
    p = torch.tensor([[0.5, 0.5, 0.0]], dtype=torch.float64)
    assert masked.kl(p, p).item() == 0.0
    q = torch.tensor([[0.25, 0.25, 0.5]], dtype=torch.float64)
    assert masked.kl(p, q).item() == pytest.approx(math.log(2))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), V=st.integers(2, 8))
def test_kl_is_non_negative(seed, V):
    g = torch.Generator().manual_seed(seed)
    p = torch.softmax(torch.randn(5, V, generator=g, dtype=torch.float64) * 3, dim=1)
    q = torch.softmax(torch.randn(5, V, generator=g, dtype=torch.float64), dim=1)
    assert masked.kl(p, q).item() >= -1e-12


def test_kl_rejects_bad_input():
    p = torch.tensor([[1.0, 0.0]], dtype=torch.float64)
    with pytest.raises(ValueError, match="q is 0 where p is not"):
        masked.kl(p, torch.tensor([[0.0, 1.0]], dtype=torch.float64))
    with pytest.raises(ValueError, match="each row of q must be a distribution"):
        masked.kl(p, torch.tensor([[0.5, 0.6]], dtype=torch.float64))
    with pytest.raises(ValueError, match="same shape"):
        masked.kl(p, torch.ones(1, 3) / 3)
    with pytest.raises(ValueError, match="p contains NaN"):
        masked.kl(torch.tensor([[math.nan, 1.0]]), p)


# ---------------------------------------------------------------- the masked language model


def test_masked_lm_learns_the_exact_conditionals(grammar):
    train = grammar.sample(3000, seed=0)
    model = masked.MaskedLM(grammar.vocab_size, grammar.length, hidden=32, seed=0)
    assert model.fit(train, ratio=[0.34, 0.67], steps=300, lr=1e-2, batch_size=128, progress=False) is model
    assert len(model.history) == 300 and all(isinstance(h, float) for h in model.history)
    assert np.mean(model.history[-20:]) < np.mean(model.history[:20])
    test = grammar.sample(500, seed=1)
    y_tilde, m = masked.mask_tokens(test, 0.34, grammar.vocab_size, seed=2)
    P, Q = grammar.conditional(y_tilde, m), model.predict_proba(y_tilde)
    assert masked.kl(P[m], Q[m]).item() < 0.02
    # the untrained model is far from it: the check can fail
    fresh = masked.MaskedLM(grammar.vocab_size, grammar.length, hidden=32, seed=0)
    assert masked.kl(P[m], fresh.predict_proba(y_tilde)[m]).item() > 0.3


def test_masked_lm_softmax_sums_to_one_and_training_is_reproducible(grammar):
    train = grammar.sample(500, seed=0)
    a = masked.MaskedLM(grammar.vocab_size, 3, hidden=16, seed=1).fit(train, steps=20, progress=False)
    b = masked.MaskedLM(grammar.vocab_size, 3, hidden=16, seed=1).fit(train, steps=20, progress=False)
    assert a.history == b.history
    P = a.predict_proba(train[:7])
    assert P.shape == (7, 3, grammar.vocab_size)
    assert torch.allclose(P.sum(dim=-1), torch.ones(7, 3))


@pytest.mark.parametrize(
    ("tokens", "err", "match"),
    [
        (torch.zeros(3, 3), TypeError, "tokens must hold integers"),
        (torch.zeros(0, 3, dtype=torch.long), ValueError, "tokens must not be empty"),
        (torch.zeros(3, 4, dtype=torch.long), ValueError, r"tokens must have shape \(n, 3\)"),
        (torch.full((2, 3), 99), ValueError, "tokens must be <"),
    ],
)
def test_masked_lm_rejects_bad_tokens(grammar, tokens, err, match):
    model = masked.MaskedLM(grammar.vocab_size, 3, hidden=8)
    with pytest.raises(err, match=match):
        model.predict_proba(tokens)
    with pytest.raises(err, match=match):
        model.fit(tokens, steps=1, progress=False)


def test_masked_lm_fit_rejects_the_mask_token_and_bad_arguments(grammar):
    V = grammar.vocab_size
    model = masked.MaskedLM(V, 3, hidden=8)
    with pytest.raises(ValueError, match=f"tokens must be < {V}"):
        model.fit(torch.full((2, 3), V), steps=1, progress=False)
    train = grammar.sample(10)
    for kwargs, err, match in [
        ({"ratio": 1.5}, ValueError, "ratio"),
        ({"ratio": [0.5, 0.0]}, ValueError, "ratio"),
        ({"ratio": []}, ValueError, "ratio"),
        ({"steps": 0}, ValueError, "steps"),
        ({"lr": -1.0}, ValueError, "lr"),
        ({"batch_size": "8"}, TypeError, "batch_size"),
    ]:
        with pytest.raises(err, match=match):
            model.fit(train, progress=False, **kwargs)
    with pytest.raises(ValueError, match="vocab_size"):
        masked.MaskedLM(1, 3)
    with pytest.raises(ValueError, match="length"):
        masked.MaskedLM(5, 0)


# ---------------------------------------------------------------- images


def _digits():
    from sklearn.datasets import load_digits

    return torch.as_tensor(load_digits().data / 16.0)


def test_bottom_rows_hides_the_lowest_rows():
    m = masked.bottom_rows(3).view(8, 8)
    assert m[5:].all() and not m[:5].any()
    with pytest.raises(ValueError, match="rows must be <= side"):
        masked.bottom_rows(9)
    with pytest.raises(ValueError, match="rows"):
        masked.bottom_rows(0)


def test_quantise_picks_the_nearest_level():
    x = torch.tensor([0.0, 0.26, 0.5, 0.74, 1.0])
    assert masked.quantise(x, 5).tolist() == [0, 1, 2, 3, 4]
    assert masked.quantise(x, 5).dtype == torch.long


def test_squared_error_fill_is_blurry_and_softmax_samples_are_sharp_and_differ():
    digits = _digits()
    train, test = digits[:1500], digits[1500:1600]
    masks = torch.stack([masked.bottom_rows(r) for r in (2, 4)])
    M = masked.bottom_rows(4)
    sq = masked.DigitInpainter("squared", hidden=64, seed=0).fit(train, masks, steps=300, lr=3e-3, progress=False)
    sm = masked.DigitInpainter("softmax", levels=5, hidden=64, seed=0).fit(
        train, masks, steps=300, lr=3e-3, progress=False
    )
    assert len(sq.history) == 300 and len(sm.history) == 300
    fill = sq.fill(test, M)
    a, b = sm.sample(test, M, seed=1), sm.sample(test, M, seed=2)
    visible = ~M
    for x in (fill, a, b):  # the visible pixels are kept
        assert torch.equal(x[:, visible], test[:, visible])
    assert masked.sharpness(fill, M).mean() + 0.1 < masked.sharpness(a, M).mean()
    assert (a - b).norm(dim=1).mean() > 0.5  # two samples of the same image differ
    assert torch.equal(a, sm.sample(test, M, seed=1))  # a seed reproduces a sample
    levels = torch.linspace(0, 1, 5, dtype=a.dtype)
    assert torch.isin(a[:, M], levels).all()  # each sampled pixel is one of the quantised intensities


def test_the_samplers_one_pixel_logits_equal_the_full_forward_pass():
    model = masked.DigitInpainter("softmax", levels=5, hidden=16, seed=3)
    x = torch.rand(6, 64, generator=torch.Generator().manual_seed(0))
    hidden = torch.rand(6, 64, generator=torch.Generator().manual_seed(1)) < 0.5
    with torch.no_grad():
        full = model(x, hidden)
        for j in (0, 17, 63):
            assert torch.allclose(model._pixel_logits(x, hidden, j), full[:, j], atol=1e-6)


def test_sharpness_and_nearest_distance_on_hand_made_images():
    M = masked.bottom_rows(1)
    black_white = torch.zeros(1, 64)
    black_white[0, -8:] = torch.tensor([0, 1, 0, 1, 0, 1, 0, 1.0])
    grey = torch.full((1, 64), 0.5)
    assert masked.sharpness(black_white, M).item() == 1.0 and masked.sharpness(grey, M).item() == 0.0
    ref = torch.cat([torch.zeros(1, 64), torch.ones(1, 64)])
    assert masked.nearest_distance(grey, ref).item() == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("images", "match"),
    [
        (torch.zeros(3, 63), r"images must have shape \(n, 64\)"),
        (torch.zeros(3, 8, 8), "images must have 2 dimension"),
        (torch.full((2, 64), 2.0), r"images must lie in \[0, 1\]"),
        (torch.full((2, 64), math.nan), "images contains NaN"),
        (torch.zeros(0, 64), "images must not be empty"),
    ],
)
def test_inpainters_reject_images_of_the_wrong_size_or_range(images, match):
    M = masked.bottom_rows(2)
    with pytest.raises(ValueError, match=match):
        masked.DigitInpainter("squared", hidden=8).fill(images, M)
    with pytest.raises(ValueError, match=match):
        masked.DigitInpainter("softmax", hidden=8).sample(images, M)
    with pytest.raises(ValueError, match=match):
        masked.DigitInpainter("softmax", hidden=8).fit(images, M[None], steps=1, progress=False)
    with pytest.raises(ValueError, match=match):
        masked.sharpness(images, M)


def test_inpainters_reject_bad_masks_and_arguments():
    x = torch.zeros(2, 64)
    sq, sm = masked.DigitInpainter("squared", hidden=8), masked.DigitInpainter("softmax", hidden=8)
    with pytest.raises(TypeError, match="mask must be a boolean"):
        sq.fill(x, torch.ones(64))
    with pytest.raises(ValueError, match="mask must have shape"):
        sq.fill(x, torch.ones(32, dtype=torch.bool))
    with pytest.raises(ValueError, match="mask must hide at least one pixel"):
        sm.sample(x, torch.zeros(64, dtype=torch.bool))
    with pytest.raises(ValueError, match="masks must have shape"):
        sm.fit(x, masked.bottom_rows(2), steps=1, progress=False)
    with pytest.raises(ValueError, match="use sample"):
        sm.fill(x, masked.bottom_rows(2))
    with pytest.raises(ValueError, match="use fill"):
        sq.sample(x, masked.bottom_rows(2))
    with pytest.raises(ValueError, match="temperature"):
        sm.sample(x, masked.bottom_rows(2), temperature=0)
    with pytest.raises(ValueError, match="kind"):
        masked.DigitInpainter("l1")
    with pytest.raises(ValueError, match="levels"):
        masked.DigitInpainter("softmax", levels=1)
