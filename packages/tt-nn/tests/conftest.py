"""tt-nn's tests compare some results with values PyTorch computed, stored in tests/fixtures/*.npz.

The fixtures are written by instructor/fixtures/make_fixtures.py (instructor-only; its docstring
says how to regenerate them); the `stored` fixture below reads them (NumPy arrays, no pickles).
"""

from collections.abc import Callable
from functools import cache
from pathlib import Path

import numpy as np
import pytest

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
