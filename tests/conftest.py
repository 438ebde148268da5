import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Exercise checks raise on failure, and no progress bars, in every kernel the tests start.
os.environ.setdefault("EBM_COURSE_STRICT_CHECKS", "1")
os.environ.setdefault("EBM_COURSE_NO_PROGRESS", "1")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT
