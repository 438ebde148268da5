import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Exercise checks raise on failure, and no progress bars, in every kernel the tests start.
os.environ.setdefault("EBM_COURSE_STRICT_CHECKS", "1")
os.environ.setdefault("EBM_COURSE_NO_PROGRESS", "1")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """The tests' tensors are tiny: extra intra-op threads only oversubscribe the CPU (and the xdist workers)."""
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
