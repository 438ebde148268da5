"""ebm_course.exercises: every check passes a correct solution and gives a hint, in the notebook's language,
for the typical wrong ones; with EBM_COURSE_STRICT_CHECKS=1 a failed check raises."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from ebm_course import exercises, i18n
from ebm_course.exercises import CheckResult

HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.fixture(autouse=True)
def _lenient_checks_and_english(monkeypatch):
    """The Makefile exports EBM_COURSE_STRICT_CHECKS=1; these tests want the returned result unless they set it."""
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    before = i18n.get_language()
    i18n.set_language("en")
    yield
    i18n.set_language(before)


# ------------------------------------------------------------------------------- student solutions


def gibbs_right(E, beta):
    x = -beta * E
    x = x - x.max()
    return torch.exp(x) / torch.exp(x).sum()


def gibbs_naive(E, beta):  # overflows / underflows for large |E|: nan
    return torch.exp(-beta * E) / torch.exp(-beta * E).sum()


def gibbs_wrong_sign(E, beta):
    return torch.softmax(beta * E, dim=0)


def gibbs_unnormalised(E, beta):
    return torch.exp(-beta * (E - E.min()))


def gibbs_wrong_beta(E, beta):
    return torch.softmax(-E, dim=0)


def gibbs_numpy(E, beta):
    return torch.softmax(-beta * E, dim=0).numpy()


def gibbs_todo(E, beta):
    raise NotImplementedError


def gibbs_crashes(E, beta):
    return E.does_not_exist


def beta_todo(E, mass):
    raise NotImplementedError


def nll_right(E, idx, beta):
    return (-torch.log(torch.softmax(-beta * E, dim=0)[idx]) / beta).mean()


def nll_right_float(E, idx, beta):
    return float(E[idx].mean() + torch.logsumexp(-beta * E, dim=0) / beta)


def nll_lecture_no_log(E, idx, beta):  # the source note's formula
    return E[idx].mean() + torch.exp(-beta * E).sum() / beta


def nll_not_averaged(E, idx, beta):
    return -torch.log(torch.softmax(-beta * E, dim=0)[idx]) / beta


def nll_times_beta(E, idx, beta):
    return (-torch.log(torch.softmax(-beta * E, dim=0)[idx])).mean()


def nll_returns_none(E, idx, beta):
    return None


def nll_todo(E, idx, beta):
    raise NotImplementedError


# -------------------------------------------------------------------------------------- check_gibbs


@pytest.mark.parametrize("fn", [gibbs_right, lambda E, beta: torch.softmax(-beta * E, dim=0)])
def test_check_gibbs_passes_a_correct_stable_solution(fn):
    res = exercises.check_gibbs(fn)
    assert isinstance(res, CheckResult) and res and res.passed
    assert "Passed" in res.message and repr(res).startswith("✓")


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (gibbs_naive, "nan"),
        (gibbs_wrong_sign, "sign"),
        (gibbs_unnormalised, "sum to 1"),
        (gibbs_wrong_beta, "wrong values"),
        (gibbs_numpy, "torch.Tensor"),
        (gibbs_todo, "not implemented"),
        (gibbs_crashes, "AttributeError"),
    ],
    ids=["naive_exp", "wrong_sign", "no_normalisation", "ignores_beta", "numpy", "todo", "crashes"],
)
def test_check_gibbs_fails_typical_wrong_solutions_with_a_hint(fn, hint):
    res = exercises.check_gibbs(fn)
    assert isinstance(res, CheckResult) and not res and not res.passed
    assert res.message.startswith("Hint: ")
    assert hint in res.message
    assert repr(res).startswith("✗")


def test_naive_gibbs_really_is_nan_on_large_energies():
    # the premise of the first hint: exp(-1000) underflows to 0, so 0/0
    assert torch.isnan(gibbs_naive(torch.tensor([1000.0, 1001.0], dtype=torch.float64), 1.0)).all()


# ------------------------------------------------------------------------------ check_beta_for_mass


def _beta_for_mass(E, mass):
    """The beta at which Gibbs(E) puts ``mass`` on the minimum, by bisection on a log scale (the test's own)."""
    E = torch.as_tensor(E, dtype=torch.float64)
    lo, hi = 1e-8, 1e8
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if torch.softmax(-mid * E, dim=0)[E.argmin()] < mass else (lo, mid)
    return math.sqrt(lo * hi)


def test_the_answer_to_beta_for_mass_is_not_public():
    assert not hasattr(exercises, "beta_for_mass_answer")
    assert not any("answer" in name for name in exercises.__all__)


def test_check_beta_for_mass_tests_the_probability_not_a_stored_number():
    E = torch.tensor([0.0, 1.0, 2.0, 3.0], dtype=torch.float64)

    def p0(beta):
        return torch.softmax(-beta * E, dim=0)[0].item()

    beta = _beta_for_mass(E, 0.9)
    assert p0(beta) == pytest.approx(0.9, rel=1e-9)
    for mass in (0.9 - 1.5e-4, 0.9 + 1.5e-4):  # a beta whose P(y=0) is within the tolerance passes
        assert exercises.check_beta_for_mass(_beta_for_mass(E, mass))
    for mass in (0.9 - 3e-4, 0.9 + 3e-4):  # and one just outside it fails
        assert not exercises.check_beta_for_mass(_beta_for_mass(E, mass))


def test_check_beta_for_mass_passes_the_right_value():
    beta = _beta_for_mass([0, 1, 2, 3], 0.9)
    for b in (beta, float(beta), np.float64(beta), beta * (1 + 5e-4)):
        assert exercises.check_beta_for_mass(b)


@pytest.mark.parametrize(
    ("beta", "hint"),
    [
        (1.0, "increase"),  # too small: P(y=0) < 0.9
        (10.0, "decrease"),  # too large
        (0.0, "> 0"),
        (-2.0, "> 0"),
        (math.nan, "finite number"),
        (math.inf, "finite number"),
        ("2.5", "finite number"),
        (True, "finite number"),
        (None, "finite number"),
    ],
)
def test_check_beta_for_mass_fails_wrong_values_with_a_hint(beta, hint):
    res = exercises.check_beta_for_mass(beta)
    assert not res and res.message.startswith("Hint: ")
    assert hint in res.message


def test_check_beta_for_mass_accepts_a_function_that_finds_beta():
    assert exercises.check_beta_for_mass(_beta_for_mass)
    assert exercises.check_beta_for_mass(lambda E, mass: torch.tensor(_beta_for_mass(E, mass)))
    res = exercises.check_beta_for_mass(lambda E, mass: 1.0)
    assert not res and "increase" in res.message
    res = exercises.check_beta_for_mass(beta_todo)
    assert not res and "not implemented" in res.message


def test_check_beta_for_mass_hint_reports_the_probability_at_the_given_beta():
    res = exercises.check_beta_for_mass(1.0)
    p = torch.softmax(-torch.tensor([0.0, 1.0, 2.0, 3.0]), dim=0)[0].item()
    assert f"{p:.4f}" in res.message and "P(y=0)" in res.message


# ------------------------------------------------------------------------------- check_nll_discrete


@pytest.mark.parametrize("fn", [nll_right, nll_right_float])
def test_check_nll_discrete_passes_the_correct_nll(fn):
    res = exercises.check_nll_discrete(fn)
    assert res and "Passed" in res.message


@pytest.mark.parametrize(
    ("fn", "hint"),
    [
        (nll_lecture_no_log, "log"),
        (nll_times_beta, "-(1/β) log P(Y)"),
        (nll_not_averaged, "one number"),  # regression: crashed in float() instead of giving a hint
        (nll_returns_none, "one number"),
        (nll_todo, "not implemented"),
    ],
    ids=["lecture_no_log", "not_divided_by_beta", "not_averaged", "returns_none", "todo"],
)
def test_check_nll_discrete_fails_typical_wrong_solutions_with_a_hint(fn, hint):
    res = exercises.check_nll_discrete(fn)
    assert isinstance(res, CheckResult) and not res
    assert res.message.startswith("Hint: ")
    assert hint in res.message


def test_check_nll_discrete_names_the_missing_log_for_the_lecture_formula():
    res = exercises.check_nll_discrete(nll_lecture_no_log)
    assert "log is missing" in res.message
    assert "log Σ exp(-βE(y))" in res.message


# ------------------------------------------------------------------------------------------ language


CASES = [
    (exercises.check_gibbs, gibbs_right, True),
    (exercises.check_gibbs, gibbs_naive, False),
    (exercises.check_gibbs, gibbs_wrong_sign, False),
    (exercises.check_gibbs, gibbs_unnormalised, False),
    (exercises.check_gibbs, gibbs_todo, False),
    (exercises.check_beta_for_mass, _beta_for_mass([0, 1, 2, 3], 0.9), True),
    (exercises.check_beta_for_mass, 1.0, False),
    (exercises.check_beta_for_mass, 10.0, False),
    (exercises.check_beta_for_mass, "x", False),
    (exercises.check_nll_discrete, nll_right, True),
    (exercises.check_nll_discrete, nll_lecture_no_log, False),
    (exercises.check_nll_discrete, nll_not_averaged, False),
]


@pytest.mark.parametrize(("check", "arg", "passed"), CASES)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_messages_are_in_korean_or_english_as_asked(check, arg, passed, lang):
    res = check(arg, lang=lang)
    assert bool(res) == passed
    assert bool(HANGUL.search(res.message)) == (lang == "ko")
    if not passed:
        assert res.message.startswith("힌트: " if lang == "ko" else "Hint: ")


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_messages_follow_the_current_language_when_lang_is_not_given(lang):
    i18n.set_language(lang)
    for check, arg, _ in CASES:
        assert bool(HANGUL.search(check(arg).message)) == (lang == "ko")


def test_check_result_html_shows_the_mark_and_escapes_the_message():
    ok, bad = CheckResult(True, "a < b"), CheckResult(False, "<script>")
    assert "✓" in ok._repr_html_() and "a &lt; b" in ok._repr_html_()
    assert "✗" in bad._repr_html_() and "<script>" not in bad._repr_html_()


# ------------------------------------------------------------------------------------------ strict mode


@pytest.mark.parametrize(
    ("check", "arg"),
    [
        (exercises.check_gibbs, gibbs_naive),
        (exercises.check_beta_for_mass, 1.0),
        (exercises.check_nll_discrete, nll_lecture_no_log),
    ],
)
def test_strict_mode_raises_on_a_failed_check_and_only_then(monkeypatch, check, arg):
    assert not check(arg)  # lenient: returns the falsy result
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="Hint"):
        check(arg)
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "0")
    assert not check(arg)


@pytest.mark.parametrize(
    ("check", "arg"),
    [
        (exercises.check_gibbs, gibbs_right),
        (exercises.check_beta_for_mass, _beta_for_mass([0, 1, 2, 3], 0.9)),
        (exercises.check_nll_discrete, nll_right),
    ],
)
def test_strict_mode_lets_a_passing_check_through(monkeypatch, check, arg):
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
    assert check(arg)


def test_strict_mode_message_is_in_the_asked_language(monkeypatch):
    monkeypatch.setenv("EBM_COURSE_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="힌트"):
        exercises.check_gibbs(gibbs_wrong_sign, lang="ko")


# ------------------------------------------------------------------------------------- edge cases


def test_check_nll_discrete_gives_a_hint_when_the_shifted_call_returns_garbage(monkeypatch):
    monkeypatch.delenv("EBM_COURSE_STRICT_CHECKS", raising=False)
    calls = {"n": 0}

    def flaky(E, idx, beta):
        calls["n"] += 1
        if calls["n"] > 3:
            return [1.0, 2.0]
        return (E[idx] + torch.logsumexp(-beta * E, 0) / beta).mean()

    res = exercises.check_nll_discrete(flaky, lang="en")
    assert not res and "constant" in res.message
