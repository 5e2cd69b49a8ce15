"""tt-text's tests compare some results with values PyTorch computed, stored in tests/fixtures/*.npz.

The fixtures are written by instructor/fixtures/make_fixtures.py (instructor-only; its docstring
says how to regenerate them); the `stored` fixture below reads them (NumPy arrays, no pickles).
"""

import os
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


@pytest.fixture(scope="session")
def shakespeare_data_dir() -> Path:
    """$TINYTORCH_DATA, which must hold shakespeare/input.txt when it is set (CI sets it to
    ../shared/data); unset, the real-data tests are skipped, except in CI, where they fail."""
    value = os.environ.get("TINYTORCH_DATA")
    if not value:
        if os.environ.get("CI"):
            pytest.fail("TINYTORCH_DATA is not set in CI: the real-data tests need ../shared/data")
        pytest.skip("TINYTORCH_DATA is not set: point it at a folder with shakespeare/input.txt to run this")
    path = Path(value) / "shakespeare" / "input.txt"
    assert path.is_file(), f"TINYTORCH_DATA={value} has no shakespeare/input.txt"
    return Path(value)
