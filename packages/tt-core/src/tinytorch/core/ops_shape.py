"""Shape ops, indexing, cat and stack (forward: module 02, backward: module 05).

reshape/view, permute/transpose, expand and basic indexing return NumPy
*views*: no data is copied, the output shares memory with its input. Their
backward only moves gradient values back into the input's layout.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.broadcast import unbroadcast
from tinytorch.core.errors import ArgumentError, DimensionError, IndexTypeError, ShapeError
from tinytorch.core.tensor import Shape, Tensor


def shape_arg(args: tuple[Any, ...]) -> Shape:
    """Accept both f(2, 3) and f((2, 3)) / f([2, 3])."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    if not all(isinstance(n, (int, np.integer)) for n in args):
        raise TypeError(f"shape: expected integers, got {args!r}")
    return tuple(int(n) for n in args)


def sizes_arg(args: tuple[Any, ...], op: str, infer: bool = False) -> Shape:
    """A shape of sizes >= 0 (and -1, "infer this one", if `infer`: reshape and view)."""
    shape = shape_arg(args)
    for n in shape:
        if n < (-1 if infer else 0):
            what = "invalid size" if infer else "negative dimension"
            raise ShapeError(f"{op}: {what} {n} in shape {shape}")
    return shape


def _dim(dim: int, ndim: int, op: str) -> int:
    if not -ndim <= dim < ndim:
        raise DimensionError(f"{op}: dim {dim} is out of range for a tensor with {ndim} dimension(s)")
    return dim % ndim


class Reshape(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: Shape) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.in_shape = a.shape
        return a.reshape(shape)  # a view whenever NumPy can make one, else a copy
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        return grad.reshape(ctx.in_shape)
        ### END SOLUTION


class View(Reshape):
    """Reshape that never copies (as torch.view): an error when strides forbid a view."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: Shape) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.in_shape = a.shape
        try:
            return np.reshape(a, shape, copy=False)
        except ValueError as err:
            if "copy" not in str(err):
                raise
            raise ValueError(
                f"this tensor's memory layout (strides {a.strides}) cannot be viewed as shape "
                f"{shape} without a copy; use reshape(), which copies when it must"
            ) from None
        ### END SOLUTION


class Permute(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dims: Shape) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.dims = dims
        return a.transpose(dims)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        return grad.transpose(np.argsort(ctx.dims))  # the inverse permutation
        ### END SOLUTION


class Expand(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, shape: Shape) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.in_shape = a.shape
        return np.broadcast_to(a, shape)  # a read-only view: stride 0 along expanded axes
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        return unbroadcast(grad, ctx.in_shape)
        ### END SOLUTION


class GetItem(Function):
    @staticmethod
    def forward(ctx: Context, a: np.ndarray, index: Any, basic: bool) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.meta = (a.shape, a.dtype, basic)
        ctx.save_for_backward(*index)  # index arrays are graph memory too
        return a[index]  # basic indexing gives a view, advanced indexing a copy
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        shape, dtype, basic = ctx.meta
        index = ctx.saved_tensors
        full = np.zeros(shape, dtype=dtype)
        if basic:  # every element picked at most once
            full[index] = grad
        else:  # an element picked k times receives k gradients: add, don't overwrite
            np.add.at(full, index, grad)
        return full
        ### END SOLUTION


class Cat(Function):
    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.axis = axis
        ctx.splits = tuple(np.cumsum([a.shape[axis] for a in arrays[:-1]]))
        return np.concatenate(arrays, axis=axis)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        ### BEGIN SOLUTION 05
        return tuple(np.split(grad, ctx.splits, axis=ctx.axis))
        ### END SOLUTION


class Stack(Function):
    @staticmethod
    def forward(ctx: Context, *arrays: np.ndarray, axis: int) -> np.ndarray:
        ### BEGIN SOLUTION 02
        ctx.axis = axis
        return np.stack(arrays, axis=axis)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[np.ndarray, ...]:
        ### BEGIN SOLUTION 05
        return tuple(np.moveaxis(grad, ctx.axis, 0))
        ### END SOLUTION


# ------------------------------------------------------------ functional API


def permute(t: Tensor, dims: Shape) -> Tensor:
    for d in dims:
        _dim(d, max(t.ndim, 1), "permute")
    if sorted(d % max(t.ndim, 1) for d in dims) != list(range(t.ndim)) or len(dims) != t.ndim:
        raise ShapeError(f"permute: {dims} is not a permutation of the {t.ndim} dims of shape {t.shape}")
    return Permute.apply(t, dims=tuple(d % t.ndim for d in dims))


def transpose(t: Tensor, dim0: int, dim1: int) -> Tensor:
    dims = list(range(t.ndim))
    d0, d1 = _dim(dim0, t.ndim, "transpose"), _dim(dim1, t.ndim, "transpose")
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(t, dims=tuple(dims))


def squeeze(t: Tensor, dim: int | None = None) -> Tensor:
    """Drop axes of size 1 (only `dim`, if given; a no-op if that axis is not 1, as PyTorch)."""
    if dim is None:
        shape = tuple(n for n in t.shape if n != 1)
    else:
        d = _dim(dim, max(t.ndim, 1), "squeeze")
        shape = t.shape[:d] + t.shape[d + 1 :] if t.ndim and t.shape[d] == 1 else t.shape
    return View.apply(t, shape=shape)


def unsqueeze(t: Tensor, dim: int) -> Tensor:
    """Insert an axis of size 1 at `dim` (negative dims count from the end of the result)."""
    d = _dim(dim, t.ndim + 1, "unsqueeze")
    return View.apply(t, shape=(*t.shape[:d], 1, *t.shape[d:]))


def flatten(t: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dims start_dim..end_dim into one (torch.flatten), e.g. (B, C, H, W) ->
    (B, C*H*W) with start_dim=1; a 0-d tensor becomes shape (1,). A view where possible."""
    if t.ndim == 0:
        _dim(start_dim, 1, "flatten")
        _dim(end_dim, 1, "flatten")
        return t.reshape(1)
    d0, d1 = _dim(start_dim, t.ndim, "flatten"), _dim(end_dim, t.ndim, "flatten")
    if d0 > d1:
        raise ArgumentError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} (shape {t.shape})")
    merged = int(np.prod(t.shape[d0 : d1 + 1], dtype=np.int64))  # not -1: ambiguous for 0-size
    return t.reshape(*t.shape[:d0], merged, *t.shape[d1 + 1 :])


def expand(t: Tensor, sizes: Shape) -> Tensor:
    """Broadcast to `sizes` without copying; -1 keeps a dimension (as torch.expand)."""
    lead = len(sizes) - t.ndim
    if lead < 0:
        raise ShapeError(f"expand: cannot expand shape {t.shape} to fewer dimensions {sizes}")
    shape = []
    for i, n in enumerate(sizes):
        own = t.shape[i - lead] if i >= lead else None
        if n == -1:
            if own is None:
                raise ShapeError(f"expand: -1 is not allowed for the new leading dimension {i}")
            n = own
        if own is not None and own != 1 and own != n:
            raise ShapeError(
                f"expand: cannot expand dimension {i - lead} of shape {t.shape} from {own} to {n}"
            )
        shape.append(n)
    return Expand.apply(t, shape=tuple(shape))


def _index_part(part: Any) -> Any:
    if isinstance(part, Tensor):
        if part.dtype.kind not in "bi":
            raise IndexTypeError(f"getitem: tensors used as indices must be int64 or bool, got {part.dtype}")
        if part.ndim == 0 and part.dtype.kind == "i":  # PyTorch: a 0-d int tensor is an int
            return int(part.data)
        return part.data
    if isinstance(part, list):
        return np.asarray(part)
    if not (
        part is None or part is Ellipsis or isinstance(part, (int, np.integer, np.bool_, slice, np.ndarray))
    ):
        raise IndexTypeError(
            f"getitem: an index of type {type(part).__name__} ({part!r}); only integers, slices (:), "
            "None, ..., and int64 or bool tensors are valid indices"
        )
    return part


def _is_int(p: Any) -> bool:
    return isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_))


def _split_ints(parts: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """PyTorch's reading of an index mixing ints and index arrays, as two NumPy indices.

    NumPy counts an int as an advanced index, so in `x[1, :, d]` the int and `d` are
    not adjacent and the broadcast dims move to the front. PyTorch first applies ints,
    slices, None and ... (a view), then the index arrays to what is left: there, arrays
    with only slices *between ints* are adjacent and keep their place. Step 1 (basic)
    keeps every dim an array indexes (a bool mask of k dims keeps k); step 2 indexes the
    result with the arrays alone, ints gone, so NumPy's placement rule equals PyTorch's.
    """
    first: list[Any] = []
    second: list[Any] = []
    for p in parts:
        if isinstance(p, np.ndarray) and p.ndim == 0 and p.dtype.kind == "b":
            p = bool(p)
        if isinstance(p, np.ndarray):
            first.extend([slice(None)] * (p.ndim if p.dtype.kind == "b" else 1))
            second.append(p)
        elif isinstance(p, (bool, np.bool_)):  # a new dim of size 1, kept (True) or emptied
            first.append(None)
            second.append(np.array([bool(p)]))
        elif _is_int(p):
            first.append(p)
        else:  # slice, None, Ellipsis: one dim each (or the rest, in both steps)
            first.append(p)
            second.append(p if p is Ellipsis else slice(None))
    return tuple(first), tuple(second)


def _covered(parts: tuple[Any, ...]) -> int:
    """How many dims of the indexed tensor the parts other than ... consume."""
    n = 0
    for p in parts:
        if isinstance(p, np.ndarray):
            n += p.ndim if p.dtype.kind == "b" else 1
        elif isinstance(p, slice) or _is_int(p):
            n += 1
    return n


def getitem(t: Tensor, index: Any) -> Tensor:
    """t[index]: ints, slices, None, Ellipsis (basic: a view), int arrays and bool masks.

    Placement of the dims the index arrays broadcast to follows PyTorch (see
    `_split_ints`): with an int elsewhere in the index, adjacent arrays stay in place,
    and a ... that stands for no dims does not separate them.
    """
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(_index_part(p) for p in parts)
    basic = True  # NumPy counts a Python bool as an (advanced) 0-d mask, as PyTorch
    has_int = False  # an int beside index arrays: NumPy and PyTorch place them differently
    has_ellipsis = False
    for p in parts:
        if isinstance(p, np.ndarray):
            if p.dtype.kind not in "bi":
                raise IndexTypeError(f"getitem: index arrays must be integers or bools, got {p.dtype}")
            basic = False
        elif p is Ellipsis:
            has_ellipsis = True
        elif isinstance(p, (bool, np.bool_)):
            basic = False
        elif isinstance(p, (int, np.integer)):
            has_int = True
    if basic:
        return GetItem.apply(t, index=parts, basic=True)
    if has_ellipsis and _covered(parts) == t.ndim:
        # a ... of no dims separates arrays in NumPy, not in PyTorch: drop it
        parts = tuple(p for p in parts if p is not Ellipsis)
    if not has_int:
        return GetItem.apply(t, index=parts, basic=False)
    first, second = _split_ints(parts)
    if sum(p is Ellipsis for p in first) > 1:  # NumPy's message names only the first step
        raise IndexError("getitem: an index can only have a single ellipsis ('...')")
    return GetItem.apply(GetItem.apply(t, index=first, basic=True), index=second, basic=False)


def _check_many(tensors: Sequence[Tensor], op: str) -> None:
    if isinstance(tensors, Tensor) or not tensors:
        raise ShapeError(f"{op}: expected a non-empty sequence of Tensors")
    for i, x in enumerate(tensors):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: item {i} is a {type(x).__name__}, not a Tensor")


def cat(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    _check_many(tensors, "cat")
    for i, x in enumerate(tensors):
        if x.ndim == 0:
            raise ShapeError(f"cat: zero-dimensional tensor (item {i}) cannot be concatenated; use stack")
    return Cat.apply(*tensors, axis=_dim(axis, max(tensors[0].ndim, 1), "cat"))


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    _check_many(tensors, "stack")
    return Stack.apply(*tensors, axis=_dim(axis, tensors[0].ndim + 1, "stack"))
