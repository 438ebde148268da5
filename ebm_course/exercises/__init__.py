"""Automatic checks for the exercises, one module per chapter. Each ``check_*`` returns a
``CheckResult`` that shows a pass, or a hint, in the notebook's language. With
EBM_COURSE_STRICT_CHECKS=1 in the environment (the test suite and the book build set it) a failed
check raises, so a wrong solution cannot pass unnoticed."""

from ._base import CheckResult
from .ch02 import *  # noqa: F403
from .ch02 import __all__ as _ch02

__all__ = ["CheckResult", *_ch02]
