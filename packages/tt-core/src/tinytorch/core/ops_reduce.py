"""Reductions: sum, mean, max, min, var, argmax (forward: module 02, backward: module 05).

A reduction over `axis` maps many inputs to one output, so its backward sends
the output's gradient back to every input it was computed from: it restores the
reduced axes (`keepdims`) and broadcasts over them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.errors import DimensionError, ShapeError
from tinytorch.core.tensor import Tensor

Axes = tuple[int, ...] | None


def norm_axes(t: Tensor, axis: int | Sequence[int] | None, op: str) -> Axes:
    """`axis` as a sorted tuple of non-negative axes (None: all axes)."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    ndim = max(t.ndim, 1)
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < ndim:
            raise DimensionError(f"{op}: axis {ax!r} is out of range for a tensor of shape {t.shape}")
    normalized = tuple(sorted({int(ax) % ndim for ax in axes}))
    if len(normalized) != len(axes):
        raise ShapeError(f"{op}: axis {axis!r} names the same axis twice")
    return normalized if t.ndim else None


def check_not_empty(t: Tensor, axes: Axes, op: str) -> None:
    """max, min and argmax have no value over no elements (sum and mean do: 0 and nan).
    PyTorch's types: an empty reduced axis is an IndexError, a whole empty tensor a
    RuntimeError for max/min and an IndexError for argmax."""
    if t.size:
        return
    if axes is None:
        kind = DimensionError if op == "argmax" else ShapeError
        raise kind(f"{op}: empty tensor of shape {t.shape} has no {op}; give an axis that is not empty")
    for ax in axes:
        if t.shape[ax] == 0:
            raise DimensionError(f"{op}: axis {ax} of shape {t.shape} is empty: it has no {op}")


def _restore(grad: np.ndarray, axes: Axes, keepdims: bool, shape: tuple[int, ...]) -> np.ndarray:
    """Put the reduced axes back into `grad` (size 1) so it broadcasts against the input."""
    ### BEGIN SOLUTION 05
    if keepdims:
        return grad
    if axes is None:
        return grad.reshape((1,) * len(shape))
    return np.expand_dims(grad, axes)
    ### END SOLUTION


def _count(shape: tuple[int, ...], axes: Axes) -> int:
    """How many input elements each output element is reduced from."""
    if axes is None:
        return int(np.prod(shape, dtype=np.int64))
    return int(np.prod([shape[ax] for ax in axes], dtype=np.int64))


class Sum(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Axes, keepdims: bool) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.meta = (a.shape, axis, keepdims)
        return np.sum(a, axis=axis, keepdims=keepdims)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        shape, axis, keepdims = ctx.meta
        return np.broadcast_to(_restore(grad, axis, keepdims, shape), shape)
        ### END SOLUTION


class Mean(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Axes, keepdims: bool) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.meta = (a.shape, axis, keepdims)
        return np.mean(a, axis=axis, keepdims=keepdims)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        shape, axis, keepdims = ctx.meta
        g = _restore(grad, axis, keepdims, shape) / _count(shape, axis)
        return np.broadcast_to(g, shape)
        ### END SOLUTION


class Max(Function):
    """Largest element over `axis`. Ties share the gradient equally (as torch.amax)."""

    reduce: Callable[..., np.ndarray] = staticmethod(np.max)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, axis: Axes, keepdims: bool) -> np.ndarray:
        ### BEGIN SOLUTION 02
        out = cls.reduce(a, axis=axis, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.meta = (axis, keepdims)
        return out if keepdims else np.squeeze(out, axis)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        a, out = ctx.saved_tensors
        axis, keepdims = ctx.meta
        winners = a == out
        ties = winners.sum(axis=axis, keepdims=True, dtype=grad.dtype)
        share = _restore(grad, axis, keepdims, a.shape) / ties
        return winners * share
        ### END SOLUTION


class Min(Max):
    """Smallest element over `axis`. Ties share the gradient equally (as torch.amin)."""

    reduce: Callable[..., np.ndarray] = staticmethod(np.min)


class Var(Function):
    """Variance over `axis` with `correction` (1: unbiased, PyTorch's default)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Axes, keepdims: bool, correction: int) -> np.ndarray:
        ### BEGIN SOLUTION 02
        diff = a - np.mean(a, axis=axis, keepdims=True)
        dof = _count(a.shape, axis) - correction
        ctx.save_for_backward(diff)
        ctx.meta = (axis, keepdims, dof)
        return np.sum(diff * diff, axis=axis, keepdims=keepdims) / dof
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (diff,) = ctx.saved_tensors
        axis, keepdims, dof = ctx.meta
        # d/da_i sum_j (a_j - mean)^2 / dof = 2 (a_i - mean) / dof  (the mean's own terms cancel)
        return _restore(grad, axis, keepdims, diff.shape) * (2 / dof) * diff
        ### END SOLUTION


def var(a: Tensor, axis: int | Sequence[int] | None, keepdims: bool, correction: int) -> Tensor:
    axes = norm_axes(a, axis, "var")
    n = _count(a.shape, axes)
    if n - correction <= 0:
        raise ValueError(
            f"var: {n} element(s) per reduction with correction={correction} leaves no degrees "
            f"of freedom (tensor shape {a.shape}, axis {axis!r})"
        )
    return Var.apply(a, axis=axes, keepdims=keepdims, correction=correction)


def argmax(a: Tensor, axis: int | None, keepdims: bool) -> Tensor:
    """Index of the largest element (first on ties) as an int64 Tensor, no gradient."""
    if a.size == 0:
        check_not_empty(a, None if axis is None else norm_axes(a, axis, "argmax"), "argmax")
    if axis is None:
        idx = np.argmax(a.data)
        return Tensor.wrap(np.asarray(idx, dtype=np.int64).reshape((1,) * a.ndim if keepdims else ()))
    (ax,) = norm_axes(a, axis, "argmax") or (0,)
    return Tensor.wrap(np.argmax(a.data, axis=ax, keepdims=keepdims).astype(np.int64, copy=False))
