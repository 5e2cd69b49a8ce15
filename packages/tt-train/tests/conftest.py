"""tt-train's tests share small models and data sets from `tt_train_helpers.py`, and compare some
results with values PyTorch computed, stored in tests/fixtures/*.npz.

pytest runs in importlib mode (see pytest.ini), which puts no test folder on
sys.path, so this folder is added here; the helper's name is unique across
packages so that no other package's helpers can shadow it.

The fixtures are written by instructor/fixtures/make_fixtures.py (instructor-only; its docstring
says how to regenerate them); the `stored` fixture below reads them (NumPy arrays, no pickles).
"""

import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest

sys.path.append(str(Path(__file__).parent))
FIXTURES = Path(__file__).parent / "fixtures"


@cache
def _load(name: str) -> dict[str, np.ndarray]:
    with np.load(FIXTURES / f"{name}.npz", allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def stored() -> Callable[..., dict[str, np.ndarray]]:
    """stored(name, prefix=""): the arrays of tests/fixtures/<name>.npz whose keys start with
    `prefix`, keyed without it; fresh copies, so a test may change them."""

    def read(name: str, prefix: str = "") -> dict[str, np.ndarray]:
        arrays = _load(name)
        return {key[len(prefix) :]: value.copy() for key, value in arrays.items() if key.startswith(prefix)}

    return read
