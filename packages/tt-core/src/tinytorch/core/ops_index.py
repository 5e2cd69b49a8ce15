"""Indexing by index tensors: gather, scatter, scatter_add, index_select, masked_fill,
one_hot, tril and triu (given library code, as PyTorch's ops of the same names).

gather reads `out[i][j] = input[i][index[i][j]]` (dim=1); its backward *adds* the
gradient back where each element was read from (an element read twice receives
two gradients). scatter writes the other way round, so its backward is a gather.
Index tensors are int64 and are passed to the Functions as options, not inputs:
they take no gradient and do not count in the dtype check of `Function.apply`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.errors import ArgumentError, DimensionError, DTypeError, ShapeError
from tinytorch.core.ops_arith import where
from tinytorch.core.ops_shape import _dim
from tinytorch.core.tensor import Scalar, Tensor, _operand

Grads = tuple[np.ndarray | None, ...]


# ------------------------------------------------------------------- checks


def norm_dim(t: Tensor, dim: int, op: str) -> int:
    """`dim` as a non-negative axis of `t`; a 0-d tensor accepts 0 and -1 (as PyTorch)."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{op}: dim must be an int, got {type(dim).__name__}")
    return _dim(int(dim), max(t.ndim, 1), op)


def index_array(index: Any, op: str) -> np.ndarray:
    """The int64 array of an index Tensor (PyTorch: RuntimeError for another dtype)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}: index must be an int64 Tensor, got {type(index).__name__}")
    if index.dtype != np.int64:
        raise DTypeError(f"{op}: index must be an int64 Tensor, got dtype {index.dtype}")
    return index.data


def check_range(index: np.ndarray, size: int, dim: int, op: str) -> None:
    """Every index in [0, size): PyTorch takes no negative indices here."""
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise ArgumentError(f"{op}: index {bad} is out of bounds for dim {dim} with size {size}")


def _check_index_shape(t: Tensor, index: np.ndarray, dim: int, op: str, src: Any = None) -> None:
    """index has t's number of dims; index.shape[d] <= t.shape[d] for d != dim, and
    index.shape[d] <= src.shape[d] for every d when a src tensor is given."""
    if index.ndim != t.ndim:
        raise ShapeError(
            f"{op}: index (shape {index.shape}) must have as many dimensions as the input (shape {t.shape})"
        )
    for d, n in enumerate(index.shape):
        if d != dim and n > t.shape[d]:
            raise ShapeError(
                f"{op}: index shape {index.shape} is larger than the input shape {t.shape} at dim {d} "
                f"(only dim {dim} may be larger)"
            )
    if isinstance(src, Tensor) and (
        src.ndim != index.ndim or any(n > m for n, m in zip(index.shape, src.shape, strict=True))
    ):
        raise ShapeError(
            f"{op}: index shape {index.shape} must be no larger than src shape {src.shape} at any dim"
        )


def _open_index(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The index tuple that picks position `index[i]` along `dim` for every position i
    of `index` (the other coordinates are i's own): gather's addressing, for NumPy."""
    grids: list[np.ndarray] = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _region(index: np.ndarray) -> tuple[slice, ...]:
    """The leading block of a src tensor that an index of this shape reads."""
    return tuple(slice(n) for n in index.shape)


# ---------------------------------------------------------------- Functions


class Gather(Function):
    """out[i][j] = a[i][index[i][j]] along `dim` (index as an option: no gradient)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
        ctx.meta = (a.shape, dim)
        ctx.save_for_backward(index)
        return a[_open_index(index, dim)]

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (index,) = ctx.saved_tensors
        shape, dim = ctx.meta
        full = np.zeros(shape, dtype=grad.dtype)
        np.add.at(full, _open_index(index, dim), grad)  # an element read k times gets k gradients
        return full


def _src_grad(grad: np.ndarray, index: np.ndarray, dim: int, src_shape: tuple[int, ...]) -> np.ndarray:
    """scatter's gradient for src: the output gradient where each src element went
    (gathered), 0 for the src elements outside index's block (never read)."""
    gs = np.zeros(src_shape, dtype=grad.dtype)
    gs[_region(index)] = grad[_open_index(index, dim)]
    return gs


class Scatter(Function):
    """A copy of `a` with out[i][index[i][j]] = src[i][j] (`src` an array or a scalar)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, src: Any, index: np.ndarray, dim: int) -> np.ndarray:
        ctx.meta = (np.shape(src), dim)
        ctx.save_for_backward(index)
        out = a.copy()
        out[_open_index(index, dim)] = src[_region(index)] if type(src) is np.ndarray else src
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        (index,) = ctx.saved_tensors
        src_shape, dim = ctx.meta
        need_a, need_src = ctx.needs_input_grad
        ga = None
        if need_a:  # overwritten elements do not reach the output
            ga = grad.copy()
            ga[_open_index(index, dim)] = 0
        return ga, (_src_grad(grad, index, dim, src_shape) if need_src else None)


class ScatterAdd(Function):
    """A copy of `a` with out[i][index[i][j]] += src[i][j] (repeated indices add up)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, src: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
        ctx.meta = (src.shape, dim)
        ctx.save_for_backward(index)
        out = a.copy()
        np.add.at(out, _open_index(index, dim), src[_region(index)])
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> Grads:
        (index,) = ctx.saved_tensors
        src_shape, dim = ctx.meta
        need_a, need_src = ctx.needs_input_grad
        return (grad if need_a else None), (_src_grad(grad, index, dim, src_shape) if need_src else None)


class IndexSelect(Function):
    """The slices a[..., index[k], ...] along `dim`, in the order of `index` (1-D)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: np.ndarray, dim: int) -> np.ndarray:
        ctx.meta = (a.shape, dim)
        ctx.save_for_backward(index)
        return np.take(a, index, axis=dim)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (index,) = ctx.saved_tensors
        shape, dim = ctx.meta
        full = np.zeros(shape, dtype=grad.dtype)
        np.add.at(full, (slice(None),) * dim + (index,), grad)  # a slice picked twice: two gradients
        return full


class Tril(Function):
    """The lower triangle of the last two dims (diagonal k and below); the rest 0."""

    keep = staticmethod(np.tril)

    @classmethod
    def forward(cls, ctx: Context, a: np.ndarray, diagonal: int) -> np.ndarray:
        ctx.diagonal = diagonal
        return cls.keep(a, diagonal)

    @classmethod
    def backward(cls, ctx: Context, grad: np.ndarray) -> np.ndarray:
        return cls.keep(grad, ctx.diagonal)  # the zeroed elements do not reach the output


class Triu(Tril):
    """The upper triangle of the last two dims (diagonal k and above); the rest 0."""

    keep = staticmethod(np.triu)


# ----------------------------------------------------------- functional API


def _as_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if isinstance(t, Tensor) and t.ndim == 0 else t


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """out[i][j][k] = input[i][index[i][j][k]][k] for dim=1 (torch.gather).

    `index` (int64) has input's number of dims, and no larger sizes than input's
    except along `dim`; the output has index's shape. A 0-d input is read as 1-d.
    """
    idx = index_array(index, "gather")
    d = norm_dim(input, dim, "gather")
    if input.ndim == 0:  # PyTorch reads 0-d tensors as 1-d of size 1
        return gather(input.reshape(1), 0, _as_1d(index)).reshape(*idx.shape)
    _check_index_shape(input, idx, d, "gather")
    check_range(idx, input.shape[d], dim, "gather")
    return Gather.apply(input, index=idx, dim=d)


def _scatter(input: Tensor, dim: int, index: Tensor, src: Any, op: str, fn: type[Function]) -> Tensor:
    idx = index_array(index, op)
    d = norm_dim(input, dim, op)
    if input.ndim == 0:
        out = _scatter(input.reshape(1), 0, _as_1d(index), _as_1d(src), op, fn)
        return out.reshape(())
    if not isinstance(src, Tensor):
        src = _operand(input, src, op)  # a Python number that fits input's dtype
    elif src.dtype != input.dtype:
        raise DTypeError(f"{op}: src has dtype {src.dtype}, input {input.dtype}; convert one first")
    _check_index_shape(input, idx, d, op, src)
    check_range(idx, input.shape[d], dim, op)
    return fn.apply(input, src, index=idx, dim=d)


def scatter(
    input: Tensor, dim: int, index: Tensor, src: Tensor | Scalar | None = None, *, value: Scalar | None = None
) -> Tensor:
    """A copy of input with out[i][index[i][j]] = src[i][j] for dim=1 (torch.scatter).

    `src` is a Tensor of input's dtype (at least index's size at every dim) or a number
    (also accepted as `value=`). Gradients: input's is zero where an element was
    overwritten; src's is the output gradient gathered back. With repeated indices
    the last write wins here (PyTorch leaves it unspecified): avoid them.
    """
    if (src is None) == (value is None):
        raise ArgumentError("scatter: give exactly one of src (a Tensor or a number) and value")
    return _scatter(input, dim, index, value if src is None else src, "scatter", Scatter)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of input with out[i][index[i][j]] += src[i][j] for dim=1 (torch.scatter_add);
    repeated indices add up. Gradients: input's passes through, src's is gathered."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    return _scatter(input, dim, index, src, "scatter_add", ScatterAdd)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:
    """The slices of input along `dim` at the positions in `index` (int64, 0-d or 1-d),
    in that order, repeats allowed (torch.index_select)."""
    idx = index_array(index, "index_select")
    d = norm_dim(input, dim, "index_select")
    if idx.ndim > 1:
        raise DimensionError(f"index_select: index must be 0-d or 1-d, got shape {idx.shape}")
    if input.ndim == 0:
        check_range(idx, 1, dim, "index_select")
        return IndexSelect.apply(input.reshape(1), index=idx.reshape(-1), dim=0).reshape(())
    check_range(idx, input.shape[d], dim, "index_select")
    return IndexSelect.apply(input, index=idx.reshape(-1), dim=d)


def masked_fill(input: Tensor, mask: Tensor, value: Tensor | Scalar) -> Tensor:
    """`value` where the bool `mask` is True, else input (torch.masked_fill); mask and
    input broadcast. `value` is a number or a 0-d Tensor (which then gets a gradient)."""
    if not isinstance(mask, Tensor) or mask.dtype != np.bool_:
        got = mask.dtype if isinstance(mask, Tensor) else type(mask).__name__
        raise DTypeError(f"masked_fill: mask must be a bool Tensor, got {got}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d Tensor, got shape {value.shape}")
        if value.dtype != input.dtype:
            raise DTypeError(
                f"masked_fill: value has dtype {value.dtype}, input {input.dtype}; convert one first"
            )
    else:
        value = _operand(input, value, "masked_fill")
    try:
        np.broadcast_shapes(input.shape, mask.shape)
    except ValueError:
        raise ShapeError(
            f"masked_fill: mask of shape {mask.shape} does not broadcast with input of shape {input.shape}"
        ) from None
    return where(mask, value, input)


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot encoding: shape (*tensor.shape, num_classes) (torch.nn.functional.one_hot).

    num_classes=-1 means max(tensor) + 1. No gradient (the result is int64).
    """
    idx = index_array(tensor, "one_hot")
    if idx.size == 0:
        if num_classes <= 0:  # as PyTorch, also for num_classes=0
            raise ArgumentError(
                f"one_hot: cannot infer num_classes from an empty tensor; give num_classes > 0, "
                f"got {num_classes}"
            )
    elif idx.min() < 0:
        raise ArgumentError(f"one_hot: class values must be non-negative, got {idx.min()}")
    elif num_classes == -1:
        num_classes = int(idx.max()) + 1
    elif idx.max() >= num_classes:
        raise ArgumentError(
            f"one_hot: class values must be smaller than num_classes={num_classes}, got {idx.max()}"
        )
    return Tensor.wrap((idx[..., None] == np.arange(num_classes)).astype(np.int64))


def _triangle(input: Tensor, diagonal: int, fn: type[Tril], op: str) -> Tensor:
    if input.ndim < 2:
        raise ShapeError(f"{op}: input must have at least 2 dimensions, got shape {input.shape}")
    if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
        raise TypeError(f"{op}: diagonal must be an int, got {type(diagonal).__name__}")
    return fn.apply(input, diagonal=int(diagonal))


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """Elements on and below the `diagonal`-th diagonal of the last two dims; others 0
    (torch.tril; diagonal > 0 keeps more, < 0 fewer). Batched over leading dims."""
    return _triangle(input, diagonal, Tril, "tril")


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """Elements on and above the `diagonal`-th diagonal of the last two dims; others 0 (torch.triu)."""
    return _triangle(input, diagonal, Triu, "triu")


__all__ = [
    "Gather",
    "IndexSelect",
    "Scatter",
    "ScatterAdd",
    "Tril",
    "Triu",
    "gather",
    "index_select",
    "masked_fill",
    "one_hot",
    "scatter",
    "scatter_add",
    "tril",
    "triu",
]
