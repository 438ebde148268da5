"""Automatic checks for the exercises, one module per chapter. Each ``check_*`` returns a
``CheckResult`` that shows a pass, or a hint, in the notebook's language. With
EBM_COURSE_STRICT_CHECKS=1 in the environment (the test suite and the book build set it) a failed
check raises, so a wrong solution cannot pass unnoticed. The checks exported here also record their
outcome for the grader (see ``_base.recorded``)."""

from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07
from ._base import CheckResult
from ._base import recorded as _recorded
from .ch01 import *  # noqa: F403
from .ch02 import *  # noqa: F403
from .ch03 import *  # noqa: F403
from .ch04 import *  # noqa: F403
from .ch05 import *  # noqa: F403
from .ch06 import *  # noqa: F403
from .ch07 import *  # noqa: F403

__all__ = [
    "CheckResult",
    *ch01.__all__,
    *ch02.__all__,
    *ch03.__all__,
    *ch04.__all__,
    *ch05.__all__,
    *ch06.__all__,
    *ch07.__all__,
]

# The notebooks call the checks through this module: each records its outcome for the grader.
for _name in __all__:
    if _name.startswith("check_"):
        globals()[_name] = _recorded(globals()[_name])
