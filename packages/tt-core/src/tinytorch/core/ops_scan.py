"""Scans and products: cumsum, cumprod and prod (given library code, as PyTorch's ops).

cumsum's backward is a reversed cumsum: input k reaches every output j >= k.
The products' backward is the product of the *other* factors, which the textbook
formula grad * out / a gets wrong where a == 0 (0 / 0): with one zero, only the
zero's own gradient is nonzero (the product of the rest); with two or more, every
gradient is 0. Both ops compute those cases exactly, as PyTorch does.

Integer and bool inputs give int64 results (as PyTorch), without gradient; pass
dtype=float32/float64 to get a float result (the input is converted first). A float
input scanned in another float dtype gets its gradient computed in its own dtype
(the upstream gradient is converted before the backward scan), as PyTorch does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.ops_index import norm_dim
from tinytorch.core.tensor import Tensor, as_dtype


def _reverse_cumsum(x: np.ndarray, axis: int) -> np.ndarray:
    """out[k] = sum of x[j] for j >= k along axis."""
    return np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)


def _scan_dtype(a: np.ndarray, dtype: np.dtype | None) -> np.dtype:
    """The dtype a scan computes in: `dtype` if given, else float stays, int/bool -> int64."""
    if dtype is not None:
        return dtype
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.int64)


class Cumsum(Function):
    """Running sum along `dim`, computed in `dtype` (None: see _scan_dtype)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int, dtype: np.dtype | None = None) -> np.ndarray:
        ctx.meta = (dim, a.dtype)
        to = _scan_dtype(a, dtype)
        return np.cumsum(a.astype(to, copy=False), axis=dim, dtype=to)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        dim, in_dtype = ctx.meta
        return np.ascontiguousarray(_reverse_cumsum(grad.astype(in_dtype, copy=False), dim))


class Cumprod(Function):
    """Running product along `dim`; exact gradients where the input holds zeros."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int, dtype: np.dtype | None = None) -> np.ndarray:
        to = _scan_dtype(a, dtype)
        out = np.cumprod(a.astype(to, copy=False), axis=dim, dtype=to)
        ctx.dim = dim
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out = ctx.saved_tensors
        dim = ctx.dim
        grad, out = grad.astype(a.dtype, copy=False), out.astype(a.dtype, copy=False)  # in a's dtype
        if a.shape[dim] <= 1:  # out = a (or nothing): the gradient passes unchanged
            return grad
        # d out[j] / d a[k] = prod of a[i] for i <= j, i != k (for j >= k). Before the
        # first zero z of a row that is out[j] / a[k]; at z it is out[z-1] times the
        # running product of the factors after z; after z each such product holds a[z] = 0.
        zero = a == 0
        first = np.argmax(zero, axis=dim, keepdims=True)  # first zero (0 when none)
        has_zero = np.any(zero, axis=dim, keepdims=True)
        pos = np.arange(a.shape[dim]).reshape([-1 if i == dim else 1 for i in range(a.ndim)])
        before = ~has_zero | (pos < first)
        safe = np.where(before, a, 1)
        g = np.where(before, _reverse_cumsum(grad * out, dim) / safe, 0)
        if np.any(has_zero):
            at_zero = has_zero & (pos == first)
            prev = np.take_along_axis(out, np.maximum(first - 1, 0), axis=dim)  # out[z-1]
            after = np.cumprod(np.where(pos <= first, 1, a), axis=dim)  # factors after z
            partial = np.where(first > 0, prev, 1) * after  # read at j >= z only
            g = np.where(at_zero, _reverse_cumsum(grad * partial, dim), g)
        return g.astype(a.dtype, copy=False)


class Prod(Function):
    """Product over `dim` (None: all elements); exact gradients where the input holds zeros."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dim: int | None, keepdim: bool) -> np.ndarray:
        out = np.prod(a, axis=dim, keepdims=True, dtype=a.dtype if a.dtype.kind == "f" else np.int64)
        ctx.meta = (dim, keepdim)
        ctx.save_for_backward(a, out)
        return out if keepdim else np.squeeze(out, dim)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        a, out = ctx.saved_tensors
        dim, keepdim = ctx.meta
        g = grad if keepdim else np.reshape(grad, out.shape)  # out kept its reduced dims
        zero = a == 0
        zeros = np.sum(zero, axis=dim, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            plain = out / np.where(zero, 1, a)  # no zero in the reduction: out / a
        # exactly one zero: its gradient is the product of the others; the rest get 0
        others = np.prod(np.where(zero, 1, a), axis=dim, keepdims=True)
        share = np.where(zeros == 0, plain, np.where((zeros == 1) & zero, others, 0))
        return (g * share).astype(grad.dtype, copy=False)


def _with_dtype(input: Tensor, dtype: Any) -> Tensor:
    return input if dtype is None else input.to(as_dtype(dtype))


def _scan(fn: type[Function], input: Tensor, dim: int, dtype: Any, op: str) -> Tensor:
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(input).__name__}")
    d = norm_dim(input, dim, op)
    to = None if dtype is None else as_dtype(dtype)
    x = input
    if to is not None and (to.kind != "f" or x.dtype.kind != "f"):
        x, to = x.to(to), None  # to or from int/bool: convert first (no gradient crosses)
    if x.ndim == 0:  # a scan of one element is itself
        return fn.apply(x.reshape(1), dim=0, dtype=to).reshape(())
    return fn.apply(x, dim=d, dtype=to)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """out[..., j, ...] = sum of input[..., :j+1, ...] along `dim` (torch.cumsum)."""
    return _scan(Cumsum, input, dim, dtype, "cumsum")


def cumprod(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """out[..., j, ...] = product of input[..., :j+1, ...] along `dim` (torch.cumprod);
    exact gradients also where the input holds zeros."""
    return _scan(Cumprod, input, dim, dtype, "cumprod")


def prod(input: Tensor, dim: int | None = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product of all elements (dim None) or over one `dim` (torch.prod); an empty
    product is 1. Exact gradients with one zero or several zeros in a product."""
    if not isinstance(input, Tensor):
        raise TypeError(f"prod: expected a Tensor, got {type(input).__name__}")
    x = _with_dtype(input, dtype)
    if dim is None:
        return Prod.apply(x, dim=None, keepdim=keepdim)
    d = norm_dim(x, dim, "prod")
    if x.ndim == 0:
        return Prod.apply(x, dim=None, keepdim=keepdim)
    return Prod.apply(x, dim=d, keepdim=keepdim)


__all__ = ["Cumprod", "Cumsum", "Prod", "cumprod", "cumsum", "prod"]
