"""Reductions: sum, mean, max, min, var, argmax (forward: module 02, backward: module 05);
std, any/all, argmin, logsumexp and norm (given code, at the end; prod is in ops_scan.py).

A reduction over `axis` maps many inputs to one output, so its backward sends
the output's gradient back to every input it was computed from: it restores the
reduced axes (`keepdims`) and broadcasts over them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.errors import ArgumentError, DimensionError, DTypeError, ShapeError
from tinytorch.core.tensor import Axis, Tensor

Axes = tuple[int, ...] | None
A = TypeVar("A")  # the type of axis (int | None for argmax, Axis for sum)


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
        kind = DimensionError if op in ("argmax", "argmin") else ShapeError
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


def axis_args(op: str, axis: A, keepdims: bool, dim: A, keepdim: bool | None) -> tuple[A, bool]:
    """Accept PyTorch's keyword names `dim=` and `keepdim=` as aliases of `axis` and
    `keepdims` (ported code says `x.sum(dim=1, keepdim=True)`); both at once is an error."""
    if dim is not None:
        if axis is not None:
            raise ArgumentError(f"{op}: got both axis={axis!r} and dim={dim!r}; give one of them")
        axis = dim
    if keepdim is not None:
        if keepdims:
            raise ArgumentError(f"{op}: got both keepdims and keepdim; give one of them")
        keepdims = keepdim
    return axis, keepdims


def check_floating(a: Tensor, op: str) -> None:
    """mean, var, std, norm and logsumexp-style ops have no integer result in PyTorch: an
    int or bool tensor is an error there ("could not infer output dtype")."""
    if a.data.dtype.kind != "f":
        raise DTypeError(
            f"{op}: expected a floating-point tensor, got {a.dtype} (as PyTorch: "
            f"convert first, e.g. x.float().{op}())"
        )


def var(a: Tensor, axis: int | Sequence[int] | None, keepdims: bool, correction: int) -> Tensor:
    """Variance with `correction` (1: unbiased). With no degrees of freedom left
    (correction >= elements per reduction) the result is inf or nan with a warning,
    as PyTorch's."""
    check_floating(a, "var")
    axes = norm_axes(a, axis, "var")
    if _count(a.shape, axes) - correction <= 0:
        warn_no_dof(a, axes, correction, "var")
        with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "mean of empty slice"
            diff = a - a.mean(axis=axes, keepdims=True)
            return (diff * diff).sum(axis=axes, keepdims=keepdims) / 0.0  # inf or nan
    return Var.apply(a, axis=axes, keepdims=keepdims, correction=correction)


def warn_no_dof(a: Tensor, axes: Axes, correction: int, op: str) -> None:
    warnings.warn(
        f"{op}(): degrees of freedom is <= 0: {_count(a.shape, axes)} element(s) per reduction "
        f"with correction={correction} (shape {a.shape}); the result is inf or nan. "
        "Correction should be strictly less than the reduction factor (input numel divided "
        "by output numel).",
        UserWarning,  # PyTorch's category for this warning
        stacklevel=4,  # the caller of Tensor.var / Tensor.std
    )


def argmax(a: Tensor, axis: int | None, keepdims: bool) -> Tensor:
    """Index of the largest element (first on ties) as an int64 Tensor, no gradient."""
    return arg_reduce(np.argmax, a, axis, keepdims, "argmax")


def arg_reduce(fn: Callable[..., np.ndarray], a: Tensor, axis: int | None, keepdims: bool, op: str) -> Tensor:
    """argmax/argmin: the index over `axis` (None: of the flattened tensor), int64, no gradient."""
    if a.size == 0:
        check_not_empty(a, None if axis is None else norm_axes(a, axis, op), op)
    if axis is None:
        idx = fn(a.data)
        return Tensor.wrap(np.asarray(idx, dtype=np.int64).reshape((1,) * a.ndim if keepdims else ()))
    (ax,) = norm_axes(a, axis, op) or (0,)
    return Tensor.wrap(fn(a.data, axis=ax, keepdims=keepdims).astype(np.int64, copy=False))


# ------------------------------------------ given reductions (PyTorch breadth)


def _no_dof(a: Tensor, axes: Axes, correction: int) -> bool:
    return _count(a.shape, axes) - correction <= 0


class Std(Function):
    """Standard deviation sqrt(var) with `correction`. Backward diff / (dof * std), and 0
    where std is 0 (a constant slice: PyTorch's subgradient, not 0/0)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Axes, keepdims: bool, correction: int) -> np.ndarray:
        diff = a - np.mean(a, axis=axis, keepdims=True)
        # a constant slice has std exactly 0 (PyTorch's Welford pass gets it), not the
        # ~1e-16 the mean's rounding leaves, which would give it a gradient of ~1/dof
        constant = np.max(a, axis=axis, keepdims=True, initial=-np.inf) == np.min(
            a, axis=axis, keepdims=True, initial=np.inf
        )
        diff = np.where(constant, 0, diff).astype(a.dtype, copy=False)
        dof = max(_count(a.shape, axis) - correction, 0)
        with np.errstate(divide="ignore", invalid="ignore"):  # dof 0: inf or nan (warned)
            out = np.sqrt(np.sum(diff * diff, axis=axis, keepdims=True) / dof)
        ctx.save_for_backward(diff, out)
        ctx.meta = (axis, keepdims, dof)
        return out if keepdims else np.squeeze(out, axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        diff, out = ctx.saved_tensors
        axis, keepdims, dof = ctx.meta
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(out == 0, 0, _restore(grad, axis, keepdims, diff.shape) / (dof * out))
        return (scale * diff).astype(grad.dtype, copy=False)


def std(a: Tensor, axis: Axis, keepdims: bool, correction: int) -> Tensor:
    """Standard deviation with `correction` (1: unbiased, PyTorch's default); no degrees of
    freedom left gives inf or nan with a warning, as var."""
    check_floating(a, "std")
    axes = norm_axes(a, axis, "std")
    if _no_dof(a, axes, correction):
        warn_no_dof(a, axes, correction, "std")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "mean of empty slice"
            return Std.apply(a, axis=axes, keepdims=keepdims, correction=correction)
    return Std.apply(a, axis=axes, keepdims=keepdims, correction=correction)


def any_all(a: Tensor, axis: Axis, keepdims: bool, op: str) -> Tensor:
    """any/all: a bool tensor (nonzero counts as True), outside any graph."""
    fn = np.any if op == "any" else np.all
    return Tensor.wrap(np.asarray(fn(a.data, axis=norm_axes(a, axis, op), keepdims=keepdims)))


class LogSumExp(Function):
    """log(sum(exp(a))) over `axis`, computed as m + log(sum(exp(a - m))) with m the max
    (no overflow); the gradient is softmax(a) along `axis`."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, axis: Axes, keepdims: bool) -> np.ndarray:
        m = np.max(a, axis=axis, keepdims=True, initial=-np.inf)
        m = np.where(np.isfinite(m), m, 0)  # all -inf (or empty): exp(a - 0), log(0) = -inf
        with np.errstate(divide="ignore"):
            out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
        ctx.meta = (axis, keepdims)
        ctx.save_for_backward(a, out)  # out with the reduced axes kept: backward's softmax
        return out if keepdims else np.squeeze(out, axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out = ctx.saved_tensors
        axis, keepdims = ctx.meta
        return _restore(grad, axis, keepdims, a.shape) * np.exp(a - out)


def logsumexp(
    a: Tensor, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
) -> Tensor:
    """log(sum(exp(a))) over `axis` (None: all), stable for large values; ints give float32
    (torch.logsumexp(x, dim, keepdim))."""
    if dim is not None or keepdim is not None:
        axis, keepdims = axis_args("logsumexp", axis, keepdims, dim, keepdim)
    if a.data.dtype.kind != "f":
        a = a.float()
    return LogSumExp.apply(a, axis=norm_axes(a, axis, "logsumexp"), keepdims=keepdims)


class Norm(Function):
    """The vector p-norm over `axis`: (sum |a|^p)^(1/p); p = inf: max |a|, -inf: min |a|.
    Gradient (PyTorch's): 0 where the norm is 0; for +-inf the gradient is split among
    the elements that tie for the max (min) |a|, each with its sign."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, p: float, axis: Axes, keepdims: bool) -> np.ndarray:
        mag = np.abs(a)
        if p == np.inf or p == -np.inf:
            out = (np.max if p > 0 else np.min)(mag, axis=axis, keepdims=True)
        elif p == 2:
            out = np.sqrt(np.sum(mag * mag, axis=axis, keepdims=True))
        elif p == 1:
            out = np.sum(mag, axis=axis, keepdims=True)
        elif p == 0:
            out = np.sum(mag != 0, axis=axis, keepdims=True).astype(a.dtype)
        else:
            out = np.sum(mag**p, axis=axis, keepdims=True) ** (1 / p)
        ctx.save_for_backward(a, out)
        ctx.meta = (p, axis, keepdims)
        return out if keepdims else np.squeeze(out, axis)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out = ctx.saved_tensors
        p, axis, keepdims = ctx.meta
        g = _restore(grad, axis, keepdims, a.shape)
        if p == 0:
            return np.zeros(a.shape, grad.dtype)
        if p == 1:
            return g * np.sign(a)
        if p == np.inf or p == -np.inf:
            winners = np.abs(a) == out
            ties = winners.sum(axis=axis, keepdims=True, dtype=grad.dtype)
            return winners * np.sign(a) * (g / ties)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = a / out if p == 2 else np.sign(a) * (np.abs(a) / out) ** (p - 1)
        return np.where(out == 0, 0, g * d).astype(grad.dtype, copy=False)


def norm(
    a: Tensor,
    p: float | str = "fro",
    axis: Axis = None,
    keepdims: bool = False,
    *,
    dim: Axis = None,
    keepdim: bool | None = None,
) -> Tensor:
    """torch.norm: the vector p-norm of the elements over `axis` (None: all elements,
    flattened, for any ndim). p: a number (2, 1, 0, 3, ...), inf, -inf, or "fro" (= 2,
    the default; over at most 2 dims). Ints are an error (as PyTorch); 'nuc' is missing."""
    if dim is not None or keepdim is not None:
        axis, keepdims = axis_args("norm", axis, keepdims, dim, keepdim)
    check_floating(a, "norm")
    if p == "fro":
        if axis is not None and not isinstance(axis, (int, np.integer)) and len(axis) > 2:
            raise ArgumentError(f"norm: p='fro' is a matrix norm: dim must be one or two dims, got {axis!r}")
        p = 2
    if isinstance(p, str) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise ArgumentError(
            f"norm: unsupported p={p!r}; use a number, inf, -inf or 'fro' ('nuc' is not supported)"
        )
    axes = norm_axes(a, axis, "norm")
    if a.size == 0 and p in (np.inf, -np.inf):
        # max/min |a| over no elements has no value (PyTorch: a RuntimeError); over a
        # non-empty dim of an empty tensor the result is just empty
        empty = [ax for ax in (range(a.ndim) if axes is None else axes) if a.shape[ax] == 0]
        if empty or a.ndim == 0:
            raise ShapeError(
                f"norm: p={p} over dim {empty[0] if empty else 0} of an empty tensor (shape {a.shape}) "
                "is undefined: max/min of no elements"
            )
    return Norm.apply(a, p=float(p), axis=axes, keepdims=keepdims)
