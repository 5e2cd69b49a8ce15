"""Tensor factories and the global random generator (module 02).

All random factories (and every tinytorch package that needs randomness)
draw from one `np.random.Generator`, so `manual_seed(s)` makes a whole run
reproducible, as `torch.manual_seed` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core.errors import ArgumentError
from tinytorch.core.ops_shape import sizes_arg
from tinytorch.core.tensor import Tensor, as_dtype, float32, int64

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Reseed the global generator."""
    global _generator
    _generator = np.random.default_rng(seed)


def generator() -> np.random.Generator:
    """The global generator (for packages that draw random numbers themselves)."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """The global generator's state (JSON-serialisable), e.g. for checkpoints."""
    return dict(_generator.bit_generator.state)


def set_rng_state(state: dict[str, Any]) -> None:
    _generator.bit_generator.state = state


def _make(array: np.ndarray, requires_grad: bool) -> Tensor:
    t = Tensor.wrap(array)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(sizes_arg(shape, "zeros"), dtype=as_dtype(dtype)), requires_grad)


def ones(*shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(sizes_arg(shape, "ones"), dtype=as_dtype(dtype)), requires_grad)


def full(shape: Any, value: float, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    shape = sizes_arg(tuple(shape) if isinstance(shape, (tuple, list)) else (shape,), "full")
    return _make(np.full(shape, value, dtype=as_dtype(dtype)), requires_grad)


def arange(start: float, stop: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop); int64 when all arguments are ints (as PyTorch)."""
    if stop is None:
        start, stop = 0, start
    if step == 0:
        raise ArgumentError("arange: step must not be zero")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = int64 if ints else float32
    return Tensor.wrap(np.arange(start, stop, step, dtype=as_dtype(dtype)))


def rand(*shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    dtype = as_dtype(dtype)
    return _make(_generator.random(sizes_arg(shape, "rand"), dtype=dtype), requires_grad)


def randn(*shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator."""
    dtype = as_dtype(dtype)
    return _make(_generator.standard_normal(sizes_arg(shape, "randn"), dtype=dtype), requires_grad)
