"""Tensor factories and the global random generator (module 02).

All random factories (and every tinytorch package that needs randomness)
draw from one `np.random.Generator`, so `manual_seed(s)` makes a whole run
reproducible, as `torch.manual_seed` does.
"""

from __future__ import annotations

import math
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


def arange(
    start: float, end: float | None = None, step: float = 1, dtype: Any = None, requires_grad: bool = False
) -> Tensor:
    """Values start, start + step, ... below `end` (above it for a negative step), as
    torch.arange: ceil((end - start) / step) of them; int64 when start, end and step are
    all ints, else float32. Each value is start + i * step (no accumulated rounding)."""
    if end is None:
        start, end = 0, start
    if type(start) is int and type(end) is int and type(step) is int and step and (end - start) * step >= 0:
        fast = np.arange(start, end, step, dtype=np.int64)  # the common case, checked cheaply
        return _make(fast if dtype is None else fast.astype(as_dtype(dtype)), requires_grad)
    for name, v in (("start", start), ("end", end), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
            raise TypeError(f"arange: {name} must be a number, got {type(v).__name__}")
        if not math.isfinite(v):
            raise ArgumentError(f"arange: {name} must be finite, got {v}")
    if step == 0:
        raise ArgumentError("arange: step must not be zero")
    if (end - start) / step < 0:
        raise ArgumentError(
            f"arange: upper bound and larger bound inconsistent with step sign "
            f"(start={start}, end={end}, step={step})"
        )
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = int64 if ints else float32
    dtype = as_dtype(dtype)
    n = math.ceil((end - start) / step)
    values: np.ndarray
    if all(isinstance(v, (int, np.integer)) for v in (start, end, step)):
        values = np.arange(start, end, step, dtype=np.int64)  # exact, also for huge ints
    else:
        values = start + np.arange(n, dtype=np.float64) * step  # computed in double, as PyTorch
    return _make(values.astype(dtype, copy=False), requires_grad)


def linspace(
    start: float, end: float, steps: int, dtype: Any = float32, requires_grad: bool = False
) -> Tensor:
    """`steps` evenly spaced values from start to end, both included (torch.linspace)."""
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)):
        raise TypeError(f"linspace: steps must be an int, got {type(steps).__name__}")
    if steps < 0:
        raise ArgumentError(f"linspace: number of steps must be non-negative, got {steps}")
    dtype = as_dtype(dtype)
    values = np.linspace(start, end, int(steps), dtype=np.float64)
    if dtype.kind in "iu":
        values = np.trunc(values)  # PyTorch rounds toward zero
    return _make(values.astype(dtype), requires_grad)


def eye(n: int, m: int | None = None, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """The n x m identity (ones on the diagonal; m defaults to n), as torch.eye."""
    rows, cols = sizes_arg((n, n if m is None else m), "eye")
    return _make(np.eye(rows, cols, dtype=as_dtype(dtype)), requires_grad)


def empty(*shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """A tensor of `shape` whose values are not set (torch.empty): fill it before reading."""
    return _make(np.empty(sizes_arg(shape, "empty"), dtype=as_dtype(dtype)), requires_grad)


def _like(t: Tensor, dtype: Any, op: str) -> tuple[tuple[int, ...], np.dtype]:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t.shape, t.dtype if dtype is None else as_dtype(dtype)


def zeros_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with `t`'s shape and (unless `dtype` is given) dtype."""
    shape, dt = _like(t, dtype, "zeros_like")
    return _make(np.zeros(shape, dtype=dt), requires_grad)


def ones_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with `t`'s shape and (unless `dtype` is given) dtype."""
    shape, dt = _like(t, dtype, "ones_like")
    return _make(np.ones(shape, dtype=dt), requires_grad)


def full_like(t: Tensor, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """`fill_value` everywhere, with `t`'s shape and (unless `dtype` is given) dtype; a float
    value in an int tensor is truncated toward zero, as PyTorch."""
    shape, dt = _like(t, dtype, "full_like")
    if dt.kind in "iu" and isinstance(fill_value, float):
        fill_value = math.trunc(fill_value)
    return _make(np.full(shape, fill_value, dtype=dt), requires_grad)


def empty_like(t: Tensor, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor with `t`'s shape and dtype whose values are not set."""
    shape, dt = _like(t, dtype, "empty_like")
    return _make(np.empty(shape, dtype=dt), requires_grad)


def rand(*shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1) from the global generator."""
    dtype = as_dtype(dtype)
    return _make(_generator.random(sizes_arg(shape, "rand"), dtype=dtype), requires_grad)


def randn(*shape: Any, dtype: Any = float32, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the global generator."""
    dtype = as_dtype(dtype)
    return _make(_generator.standard_normal(sizes_arg(shape, "randn"), dtype=dtype), requires_grad)
