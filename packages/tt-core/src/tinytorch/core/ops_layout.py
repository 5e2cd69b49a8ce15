"""Layout ops: pad, flip, roll, repeat, split, chunk, unflatten (given library code,
as PyTorch's ops of the same names).

Each moves elements without changing them, so each backward moves the gradient
back: flip and roll undo themselves, repeat sums the copies, pad crops (or, for
reflect/replicate/circular, adds the gradient of every copy of an element back).
split and chunk return basic-slicing views, whose gradients getitem already knows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinytorch.core.autograd import Context, Function
from tinytorch.core.errors import ArgumentError, DimensionError, ShapeError
from tinytorch.core.ops_index import IndexSelect, norm_dim
from tinytorch.core.ops_shape import shape_arg, sizes_arg
from tinytorch.core.tensor import Scalar, Shape, Tensor, _operand

PAD_MODES = ("constant", "reflect", "replicate", "circular")
Pairs = tuple[tuple[int, int], ...]


# ---------------------------------------------------------------------- pad


class ConstantPad(Function):
    """Pad each dim d by pairs[d] = (before, after) elements of `value`; a negative
    amount crops instead. Backward: the gradient of the kept region, cropped back."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, pairs: Pairs, value: Scalar) -> np.ndarray:
        src, dst = _regions(a.shape, pairs)
        ctx.meta = (a.shape, src, dst)
        out = np.full(tuple(n + lo + hi for n, (lo, hi) in zip(a.shape, pairs, strict=True)), value, a.dtype)
        out[dst] = a[src]
        return out

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shape, src, dst = ctx.meta
        full = np.zeros(shape, dtype=grad.dtype)
        full[src] = grad[dst]  # padding took no input; cropped elements reach no output
        return full


def _regions(shape: Shape, pairs: Pairs) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """The input block that survives a constant pad (src) and where it lands (dst)."""
    src, dst = [], []
    for n, (lo, hi) in zip(shape, pairs, strict=True):
        start, stop = max(0, -lo), n - max(0, -hi)
        kept = max(0, stop - start)
        src.append(slice(start, start + kept))
        dst.append(slice(max(0, lo), max(0, lo) + kept))
    return tuple(src), tuple(dst)


def _source_positions(n: int, lo: int, hi: int, mode: str) -> np.ndarray:
    """For each output position along a dim of size n padded by (lo, hi), the input
    position it copies: mirrored without the edge (reflect), the edge (replicate) or
    wrapped around (circular). Negative amounts crop: reflect and replicate pad the
    whole dim, then crop; circular crops first and wraps within what is left (as PyTorch)."""
    if mode == "circular":
        start, kept = max(0, -lo), n - max(0, -lo) - max(0, -hi)
        return start + np.arange(-max(0, lo), kept + max(0, hi)) % kept
    p = np.arange(-lo, n + hi)
    if mode == "reflect":
        p = np.abs(p)
        return np.where(p >= n, 2 * (n - 1) - p, p)
    return np.clip(p, 0, n - 1)


def _pad_pairs(input: Tensor, pad: Sequence[int]) -> Pairs:
    """PyTorch's pad tuple (last dim first: (left, right, top, bottom, ...)) as one
    (before, after) pair per dim of input, in dim order."""
    if not isinstance(pad, (tuple, list)) or not all(
        isinstance(p, (int, np.integer)) and not isinstance(p, bool) for p in pad
    ):
        raise TypeError(f"pad: pad must be a tuple of ints, got {pad!r}")
    if len(pad) % 2:
        raise ArgumentError(f"pad: the pad tuple {tuple(pad)} must have an even length (pairs per dim)")
    if len(pad) // 2 > input.ndim:
        raise ShapeError(
            f"pad: the pad tuple {tuple(pad)} pads {len(pad) // 2} dims, but the input (shape "
            f"{input.shape}) has {input.ndim}"
        )
    pairs = [(int(pad[2 * i]), int(pad[2 * i + 1])) for i in range(len(pad) // 2)]
    return ((0, 0),) * (input.ndim - len(pairs)) + tuple(reversed(pairs))


def _check_crop(shape: Shape, pairs: Pairs) -> None:
    """Negative pads crop at most what a dim holds (PyTorch narrows the input first)."""
    for d, (n, (lo, hi)) in enumerate(zip(shape, pairs, strict=True)):
        if n + min(lo, 0) + min(hi, 0) < 0:
            raise ShapeError(
                f"pad: padding ({lo}, {hi}) crops more than dim {d} holds (size {n}, input shape {shape})"
            )


def _check_mode_pad(shape: Shape, pairs: Pairs, mode: str) -> None:
    _check_crop(shape, pairs)
    for d, (n, (lo, hi)) in enumerate(zip(shape, pairs, strict=True)):
        if lo == hi == 0:
            continue
        kept = n + min(lo, 0) + min(hi, 0)
        if n == 0 or (mode == "circular" and kept == 0 and max(lo, hi) > 0):
            raise ShapeError(f"pad: mode {mode!r} cannot pad dim {d} of shape {shape}: nothing to copy")
        # reflect: less than the dim's size; circular: at most the (cropped) size, one wrap
        limit = {"reflect": n - 1, "circular": kept, "replicate": max(lo, hi)}[mode]
        if max(lo, hi) > limit:
            rule = "smaller than" if mode == "reflect" else "at most"
            raise ShapeError(
                f"pad: mode {mode!r} needs padding {rule} the size of the dim: got ({lo}, {hi}) "
                f"for dim {d} of shape {shape}"
            )


def pad(input: Tensor, pad: Sequence[int], mode: str = "constant", value: Scalar | None = None) -> Tensor:
    """Pad (or, with negative amounts, crop) the last len(pad)//2 dims (torch.nn.functional.pad).

    `pad` lists (before, after) pairs from the LAST dim backwards: (1, 2) pads the last
    dim by 1 before and 2 after; (1, 1, 2, 2) also the second-to-last by 2 on each side.
    Modes: "constant" (fill with `value`, default 0), "reflect" (mirror without the
    edge: [1, 2, 3] -> [3, 2, 1, 2, 3, 2, 1] with (2, 2); padding < size), "replicate"
    (repeat the edge) and "circular" (wrap around; padding <= size). PyTorch limits the
    last three to 2-5-D inputs padding 1-3 dims; here they pad any trailing dims.
    """
    if mode not in PAD_MODES:
        raise ArgumentError(f"pad: unknown mode {mode!r}; expected one of {', '.join(PAD_MODES)}")
    pairs = _pad_pairs(input, pad)
    if mode == "constant":
        _check_crop(input.shape, pairs)
        fill = 0 if value is None else _operand(input, value, "pad")
        return ConstantPad.apply(input, pairs=pairs, value=fill)
    if value is not None:
        raise ArgumentError(f"pad: mode {mode!r} takes no value argument (got value={value!r})")
    _check_mode_pad(input.shape, pairs, mode)
    out = input
    for d, (lo, hi) in enumerate(pairs):
        if lo or hi:  # one gather per padded dim; its backward adds copies back (index_select's)
            positions = _source_positions(input.shape[d], lo, hi, mode)
            out = IndexSelect.apply(out, index=positions, dim=d)
    return out


# --------------------------------------------------- flip, roll and repeat


class Flip(Function):
    """Reverse the order of elements along `dims` (a copy, as torch.flip)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, dims: tuple[int, ...]) -> np.ndarray:
        ctx.dims = dims
        return np.flip(a, dims).copy()

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        return np.flip(grad, ctx.dims)


class Roll(Function):
    """Shift elements along `dims` by `shifts`, wrapping around (dims None: the
    flattened tensor)."""

    @staticmethod
    def forward(
        ctx: Context, a: np.ndarray, shifts: tuple[int, ...], dims: tuple[int, ...] | None
    ) -> np.ndarray:
        ctx.meta = (shifts, dims)
        return np.roll(a, shifts if dims is not None else shifts[0], axis=dims)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shifts, dims = ctx.meta
        back = tuple(-s for s in shifts)
        return np.roll(grad, back if dims is not None else back[0], axis=dims)


class Repeat(Function):
    """Tile the tensor sizes[i] times along dim i (torch.Tensor.repeat, i.e. np.tile)."""

    @staticmethod
    def forward(ctx: Context, a: np.ndarray, sizes: Shape) -> np.ndarray:
        ctx.meta = (a.shape, sizes)
        return np.tile(a, sizes)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        shape, sizes = ctx.meta
        padded = (1,) * (len(sizes) - len(shape)) + shape
        # dim i of the output is (copy r, position j) with index r * padded[i] + j:
        # split each dim into (sizes[i], padded[i]) and sum over the copies.
        split = [n for pair in zip(sizes, padded, strict=True) for n in pair]
        summed = grad.reshape(split).sum(axis=tuple(range(0, 2 * len(sizes), 2)))
        return summed.reshape(shape)


def _dims_arg(dims: Any, op: str) -> tuple[int, ...]:
    if isinstance(dims, (int, np.integer)):
        return (int(dims),)
    if isinstance(dims, (tuple, list)) and all(isinstance(d, (int, np.integer)) for d in dims):
        return tuple(int(d) for d in dims)
    raise TypeError(f"{op}: dims must be an int or a tuple of ints, got {dims!r}")


def flip(input: Tensor, dims: int | Sequence[int]) -> Tensor:
    """Reverse the order of elements along each of `dims` (torch.flip; a copy)."""
    ds = tuple(norm_dim(input, d, "flip") for d in _dims_arg(dims, "flip"))
    if len(set(ds)) != len(ds):
        raise ShapeError(f"flip: dims {dims!r} name the same dim twice (input shape {input.shape})")
    if input.ndim == 0:
        ds = ()
    return Flip.apply(input, dims=ds)


def roll(input: Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
    """Shift elements by `shifts` along `dims`, wrapping around (torch.roll).

    dims None: roll the flattened tensor by one shift and restore the shape.
    """
    sh = _dims_arg(shifts, "roll")
    if dims is None:
        if len(sh) != 1:
            raise ArgumentError(f"roll: {len(sh)} shifts {sh} without dims; give one dim per shift")
        return Roll.apply(input, shifts=sh, dims=None)
    given = _dims_arg(dims, "roll")
    if len(given) != len(sh):
        raise ArgumentError(f"roll: shifts {sh} and dims {given} must have the same length")
    if input.ndim == 0:
        raise DimensionError(f"roll: dims {given} given, but the input is a 0-d tensor")
    return Roll.apply(input, shifts=sh, dims=tuple(norm_dim(input, d, "roll") for d in given))


def repeat(input: Tensor, *sizes: Any) -> Tensor:
    """Tile input sizes[i] times along dim i (torch.Tensor.repeat; NOT np.repeat, which
    repeats each element). More sizes than dims add leading dims: (2, 3).repeat(2, 1, 1)
    is (2, 2, 3)."""
    if not sizes:
        raise TypeError("repeat: missing the repeat sizes, e.g. x.repeat(2, 1)")
    reps = sizes_arg(sizes, "repeat")
    if len(reps) < input.ndim:
        raise ShapeError(
            f"repeat: {len(reps)} sizes {reps} for a tensor of shape {input.shape}; give at least one per dim"
        )
    return Repeat.apply(input, sizes=reps)


# --------------------------------------------------- split, chunk, unflatten


def _pieces(input: Tensor, sizes: Sequence[int], d: int) -> tuple[Tensor, ...]:
    """Consecutive views of input along dim d of the given sizes."""
    pieces, start = [], 0
    for n in sizes:
        pieces.append(input[(slice(None),) * d + (slice(start, start + n),)])
        start += n
    return tuple(pieces)


def _check_1d(input: Tensor, op: str) -> None:
    if input.ndim == 0:
        raise ShapeError(f"{op}: expects a tensor with at least 1 dimension, got a 0-d tensor")


def split(input: Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> tuple[Tensor, ...]:
    """Views of input along `dim` (torch.split): pieces of split_size (the last one may
    be smaller), or of the listed sizes, which must add up to the dim's size."""
    _check_1d(input, "split")
    d = norm_dim(input, dim, "split")
    n = input.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size < 0 or (size == 0 and n != 0):
            raise ArgumentError(
                f"split: split_size must be positive (0 only for an empty dim), got {size} "
                f"for dim {dim} of shape {input.shape}"
            )
        count = max(1, -(-n // size)) if size else 1
        return _pieces(input, [min(size, n - i * size) for i in range(count)], d)
    sections = shape_arg((split_size_or_sections,))
    if any(s < 0 for s in sections):
        raise ArgumentError(f"split: section sizes must be non-negative, got {list(sections)}")
    if sum(sections) != n:
        raise ShapeError(
            f"split: section sizes {list(sections)} add up to {sum(sections)}, but dim {dim} of "
            f"shape {input.shape} has size {n}"
        )
    return _pieces(input, sections, d)


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:
    """Split into `chunks` views of ceil(size / chunks) elements along `dim`, the last
    smaller; possibly fewer than `chunks` pieces (torch.chunk)."""
    _check_1d(input, "chunk")
    if not isinstance(chunks, (int, np.integer)) or chunks <= 0:
        raise ArgumentError(f"chunk: chunks must be a positive int, got {chunks!r}")
    d = norm_dim(input, dim, "chunk")
    n = input.shape[d]
    if n == 0:  # PyTorch: `chunks` empty pieces
        return _pieces(input, [0] * int(chunks), d)
    return split(input, math.ceil(n / chunks), d)


def unflatten(input: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Expand dim `dim` into `sizes` (torch.unflatten), e.g. (2, 12) with dim=1,
    sizes=(3, -1) -> (2, 3, 4); one size may be -1 (inferred)."""
    if input.ndim == 0:
        raise DimensionError("unflatten: the input is a 0-d tensor: it has no dim to unflatten")
    d = norm_dim(input, dim, "unflatten")
    shape = sizes_arg((sizes,), "unflatten", infer=True)
    if not shape:
        raise ShapeError("unflatten: sizes must be non-empty")
    n = input.shape[d]
    known = math.prod(s for s in shape if s != -1)
    if shape.count(-1) > 1:
        raise ShapeError(f"unflatten: only one size can be -1 (inferred), got {shape}")
    if -1 in shape:
        if known == 0:
            raise ShapeError(f"unflatten: size -1 cannot be inferred next to a 0 in {shape}")
        if n % known:
            raise ShapeError(
                f"unflatten: sizes {shape} don't fit dim {dim} of size {n} (shape {input.shape})"
            )
        shape = tuple(n // known if s == -1 else s for s in shape)
    elif known != n:
        raise ShapeError(
            f"unflatten: sizes {shape} don't multiply up to the size {n} of dim {dim} (shape {input.shape})"
        )
    return input.reshape(*input.shape[:d], *shape, *input.shape[d + 1 :])


__all__ = [
    "PAD_MODES",
    "ConstantPad",
    "Flip",
    "Repeat",
    "Roll",
    "chunk",
    "flip",
    "pad",
    "repeat",
    "roll",
    "split",
    "unflatten",
]
