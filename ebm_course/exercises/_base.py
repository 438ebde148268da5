"""What every exercise check shares: the result object, the strict mode, calling the student's code."""

from __future__ import annotations

import functools
import html
import json
import os

import torch

from .. import i18n

__all__ = ["CheckResult", "GRADE_LOG_ENV", "recorded"]

# Where the grader (``ebm-course-grade``) asks the kernel to record each check's outcome: a file of
# JSON lines, one per call of a public check. Unset (a student's own run), nothing is written.
GRADE_LOG_ENV = "EBM_COURSE_GRADE_LOG"


class CheckResult:
    def __init__(self, passed: bool, message: str):
        self.passed = bool(passed)
        self.message = message

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return ("✓ " if self.passed else "✗ ") + self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#b35900"
        mark = "✓" if self.passed else "✗"
        return f'<p style="color:{colour};font-weight:600">{mark} {html.escape(self.message)}</p>'


def _record(exercise: str, passed: bool) -> None:
    path = os.environ.get(GRADE_LOG_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"exercise": exercise, "passed": bool(passed)}) + "\n")


def recorded(check):
    """``check`` that also records its outcome for the grader: passed when it returns a passing
    result, failed when it returns a failing one or raises (strict mode's AssertionError included)."""

    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        try:
            result = check(*args, **kwargs)
        except BaseException:
            _record(check.__name__, False)
            raise
        _record(check.__name__, isinstance(result, CheckResult) and result.passed)
        return result

    return wrapper


def _result(passed: bool, ok_ko: str, ok_en: str, hint_ko: str = "", hint_en: str = "", lang=None) -> CheckResult:
    if passed:
        msg = i18n.t(ko=ok_ko, en=ok_en, lang=lang)
    else:
        msg = i18n.t(ko="힌트: " + hint_ko, en="Hint: " + hint_en, lang=lang)
    res = CheckResult(passed, msg)
    if not passed and os.environ.get("EBM_COURSE_STRICT_CHECKS") == "1":
        raise AssertionError(repr(res))
    return res


def _fail(hint_ko: str, hint_en: str, lang=None) -> CheckResult:
    """A failed check with its hint (raises in strict mode, like every failed ``_result``)."""
    return _result(False, "", "", hint_ko, hint_en, lang)


def _call(fn, *args):
    """Run the student's function; return (value, None) or (None, CheckResult-ready message)."""
    try:
        return fn(*args), None
    except NotImplementedError:
        return None, (
            "아직 구현되지 않았다: raise NotImplementedError를 지우고 코드를 채우자.",
            "not implemented yet: replace raise NotImplementedError with your code.",
        )
    except Exception as err:  # the student's code failed: report it as a hint
        return None, (
            f"함수가 오류를 냈다: {type(err).__name__}: {err}",
            f"your function raised {type(err).__name__}: {err}",
        )


def _tensor_close(a, b, rtol=1e-6, atol=1e-9) -> bool:
    return (
        isinstance(a, torch.Tensor)
        and a.shape == b.shape
        and bool(torch.isfinite(a).all() and torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol))
    )
