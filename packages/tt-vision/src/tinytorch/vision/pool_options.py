"""Pooling with PyTorch's further options: `dilation`, `ceil_mode`, `return_indices` (max) and
`ceil_mode`, `count_include_pad=False`, `divisor_override` (average). Given library code.

The default calls (`MaxPool2d(k)`, `AvgPool2d(k, s, p)`) keep pool.py's fast path (the student's
`window_max` / `to_winners`, the milestone CNN's); pool.py sends only calls whose result differs
from it here. The ops work in the (B, C, H, W) layout on a padded copy of the input, one strided
slice per window element, as pool.py's fast path does:

- max: `max_pool2d_indices` finds each window's winner as a flat index into its (H·W) plane,
  exactly PyTorch's `return_indices` (the first maximum in row-major window order; a NaN wins and
  the last NaN stays, as PyTorch's CPU kernel). `MaxPool2dIndexed` then gathers the winners
  (forward) and scatters the gradient back onto them with one `np.bincount` (backward).
- average: `AvgPool2dOptions` sums the kh·kw slices of the zero-padded input and divides each
  window by its own divisor (`avg_divisors`): the window's size clipped to the padded input
  (count_include_pad=True), its number of input elements (False), or `divisor_override`.

Output sizes follow PyTorch's `pooling_output_shape`: with ceil_mode a last, partial window is
added, unless it would start in the right padding (`pool_output_size`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, Context, DTypeError, Function, ShapeError, Tensor
from tinytorch.vision.conv import Pair, pair, window_slice


@dataclass(frozen=True)
class PoolGeometry:
    """One pooling call's checked arguments, each an (h, w) pair, and its output size."""

    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    out: Pair


def pool_output_size(
    size: int, kernel: int, stride: int, padding: int, dilation: int, ceil_mode: bool
) -> int:
    """PyTorch's `pooling_output_shape`: windows of span dilation·(kernel-1)+1 every `stride` in
    size + 2·padding values; ceil_mode rounds up, but the last window must start inside the
    input or its left padding."""
    span = dilation * (kernel - 1) + 1
    out = (size + 2 * padding - span + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= size + padding:
        out -= 1
    return out


def check_pool_options(
    x: Any,
    kernel_size: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    ceil_mode: Any,
    name: object,
) -> PoolGeometry:
    """Validate a pooling call with options (errors worded with `name`, types as pool.py's
    `check_pool_args`): a float 4-D input, positive kernel, stride and dilation, padding at most
    half the kernel (PyTorch's rule), an output of at least one position."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise (DTypeError if isinstance(x, Tensor) else TypeError)(
            f"{name}: expected a float32 or float64 input Tensor, got {got}"
        )
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected a 4-D input (B, C, H, W), got shape {x.shape}")
    if not isinstance(ceil_mode, (bool, np.bool_)):
        raise TypeError(f"{name}: ceil_mode must be a bool, got {ceil_mode!r}")
    kernel = pair(kernel_size, "kernel_size", name, 1)
    stride_hw = kernel if stride is None else pair(stride, "stride", name, 1)
    padding_hw = pair(padding, "padding", name, 0)
    dilation_hw = pair(dilation, "dilation", name, 1)
    if padding_hw[0] > kernel[0] // 2 or padding_hw[1] > kernel[1] // 2:
        raise ArgumentError(
            f"{name}: padding should be at most half of the kernel size, but got padding={padding_hw} "
            f"and kernel_size={kernel}"
        )
    _, _, h, w = x.shape
    out = tuple(
        pool_output_size(size, k, s, p, d, bool(ceil_mode))
        for size, k, s, p, d in zip((h, w), kernel, stride_hw, padding_hw, dilation_hw, strict=True)
    )
    if min(out) < 1:
        raise ShapeError(
            f"{name}: kernel_size={kernel} with dilation={dilation_hw} does not fit in the input of shape "
            f"{x.shape} with padding={padding_hw} (output size would be {out})"
        )
    return PoolGeometry(kernel, stride_hw, padding_hw, dilation_hw, (out[0], out[1]))


def padded(x: np.ndarray, geometry: PoolGeometry, value: float) -> np.ndarray:
    """(B, C, H, W) -> a copy with `value` around it: padding before, and after as much as the
    last window needs (more than the padding under ceil_mode), so every window slice is in range."""
    b, c, h, w = x.shape
    ph, pw = geometry.padding
    need_h, need_w = (
        (o - 1) * s + d * (k - 1) + 1
        for o, s, d, k in zip(geometry.out, geometry.stride, geometry.dilation, geometry.kernel, strict=True)
    )
    hp, wp = max(need_h, ph + h), max(need_w, pw + w)
    xp = np.full((b, c, hp, wp), value, dtype=x.dtype)
    xp[:, :, ph : ph + h, pw : pw + w] = x
    return xp


def element_slices(geometry: PoolGeometry) -> list[tuple[int, int, slice, slice]]:
    """(i, j, rows, cols) for each window element in row-major order: padded[..., rows, cols] is
    element (i, j) of every window, (OH, OW) values per plane."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = geometry.kernel, geometry.stride, geometry.dilation, geometry.out
    return [
        (i, j, window_slice(i * dh, oh, sh), window_slice(j * dw, ow, sw))
        for i in range(kh)
        for j in range(kw)
    ]


# --------------------------------------------------------------------------- max


def max_pool2d_indices(x: np.ndarray, geometry: PoolGeometry) -> np.ndarray:
    """(B, C, H, W) -> int64 (B, C, OH, OW): the flat index (row·W + col) in its (H·W) plane of
    each window's maximum, as PyTorch's `return_indices`.

    Padding is -inf and never wins (only a strictly greater value replaces the best so far), so
    a window of -inf inputs points at its first input, not at its padding, as in PyTorch.
    """
    _, _, h, w = x.shape
    (ph, pw), (sh, sw), (dh, dw), (oh, ow) = (
        geometry.padding,
        geometry.stride,
        geometry.dilation,
        geometry.out,
    )
    xp = padded(x, geometry, -np.inf)
    top = np.arange(oh) * sh - ph  # each window's first row (in the input; negative in the padding)
    left = np.arange(ow) * sw - pw
    best = np.full((*x.shape[:2], oh, ow), -np.inf, dtype=x.dtype)
    # Start every window at its first input element: the first row and column of it inside the input.
    first_i = np.zeros(oh, np.int64)  # the padding before is at most half the kernel: a row is found
    first_j = np.zeros(ow, np.int64)
    for i in reversed(range(geometry.kernel[0])):
        first_i[(top + i * dh >= 0) & (top + i * dh < h)] = i
    for j in reversed(range(geometry.kernel[1])):
        first_j[(left + j * dw >= 0) & (left + j * dw < w)] = j
    winner = np.empty(best.shape, np.int64)
    winner[...] = (top + first_i * dh)[:, None] * w + (left + first_j * dw)[None, :]
    better = np.empty(best.shape, bool)
    for i, j, rows, cols in element_slices(geometry):
        values = xp[:, :, rows, cols]  # element (i, j) of every window
        np.greater(values, best, out=better)
        better |= np.isnan(values)  # PyTorch's `val > maxval || isnan(val)`
        np.copyto(best, values, where=better)
        flat = (top + i * dh)[:, None] * w + (left + j * dw)[None, :]  # (OH, OW)
        np.copyto(winner, np.broadcast_to(flat, winner.shape), where=better)
    return winner


class MaxPool2dIndexed(Function):
    """out[b, c, i, j] = x[b, c].flat[indices[b, c, i, j]]: max pooling once the winners are known
    (`max_pool2d_indices`). x: (B, C, H, W), indices int64 (B, C, OH, OW) -> (B, C, OH, OW).

    Backward adds each output's gradient to its winner (windows may share one): one bincount
    over the whole batch.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, indices: np.ndarray) -> np.ndarray:
        b, c, h, w = x.shape
        ctx.save_for_backward(indices)
        ctx.input_shape = x.shape
        windows = indices.shape[2] * indices.shape[3]
        out = np.take_along_axis(x.reshape(b, c, h * w), indices.reshape(b, c, windows), axis=2)
        return out.reshape(indices.shape)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (indices,) = ctx.saved_tensors
        b, c, h, w = ctx.input_shape
        plane = np.arange(b * c, dtype=np.int64).reshape(b, c, 1, 1) * (h * w)  # each plane's offset
        dx = np.bincount((indices + plane).ravel(), weights=grad.ravel(), minlength=b * c * h * w)
        return dx.astype(grad.dtype, copy=False).reshape(ctx.input_shape)


def max_pool2d_options(x: Tensor, geometry: PoolGeometry, return_indices: bool) -> Any:
    """Max pooling of a checked call; (output, int64 indices) when `return_indices`."""
    indices = max_pool2d_indices(x.data, geometry)
    out = MaxPool2dIndexed.apply(x, indices=indices)
    return (out, Tensor(indices)) if return_indices else out


# ----------------------------------------------------------------------- average


def avg_divisors(
    size: int, kernel: int, stride: int, padding: int, out: int, count_include_pad: bool
) -> np.ndarray:
    """(out,) divisors of the windows along one axis, as PyTorch's CPU kernel: a window's span
    clipped to the padded input (count_include_pad) or its number of input elements (no padding
    counted). A 2-D window's divisor is the product of its row's and its column's."""
    start = np.arange(out) * stride - padding
    end = np.minimum(start + kernel, size + padding)
    if count_include_pad:
        return end - start
    return np.maximum(np.minimum(end, size) - np.maximum(start, 0), 0)


class AvgPool2dOptions(Function):
    """out[b, c, i, j] = sum of the (kh, kw) window (zero padding) / divisor[i, j].

    x: (B, C, H, W) -> (B, C, OH, OW); divisor (OH, OW) per window (`avg_divisors`, or
    divisor_override everywhere). A window with no input element (divisor 0) gives 0, as PyTorch.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, geometry: PoolGeometry, divisor: np.ndarray) -> np.ndarray:
        xp = padded(x, geometry, 0.0)
        slices = element_slices(geometry)
        _, _, rows, cols = slices[0]
        total = xp[:, :, rows, cols].copy()
        for _, _, rows, cols in slices[1:]:
            total += xp[:, :, rows, cols]
        scale = np.divide(1, divisor, out=np.zeros(divisor.shape), where=divisor != 0).astype(x.dtype)
        ctx.save_for_backward(scale)
        ctx.shapes = (x.shape, xp.shape, geometry)
        total *= scale
        return total

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (scale,) = ctx.saved_tensors
        (_, _, h, w), padded_shape, geometry = ctx.shapes
        g = grad * scale  # what each input of the window receives
        dxp = np.zeros(padded_shape, dtype=grad.dtype)
        for _, _, rows, cols in element_slices(geometry):  # windows may overlap: add
            dxp[:, :, rows, cols] += g
        ph, pw = geometry.padding
        return dxp[:, :, ph : ph + h, pw : pw + w]


def avg_pool2d_options(
    x: Tensor, geometry: PoolGeometry, count_include_pad: bool, divisor_override: int | None, name: object
) -> Tensor:
    """Average pooling of a checked call (geometry has dilation 1)."""
    _, _, h, w = x.shape
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, (int, np.integer)):
            raise TypeError(f"{name}: divisor_override must be an int or None, got {divisor_override!r}")
        if divisor_override == 0:
            raise ArgumentError(f"{name}: divisor must be not zero, got divisor_override={divisor_override}")
        divisor = np.full(geometry.out, float(divisor_override))
    else:
        rows, cols = (
            avg_divisors(size, k, s, p, o, bool(count_include_pad))
            for size, k, s, p, o in zip(
                (h, w), geometry.kernel, geometry.stride, geometry.padding, geometry.out, strict=True
            )
        )
        divisor = np.outer(rows, cols).astype(np.float64)
    return AvgPool2dOptions.apply(x, geometry=geometry, divisor=divisor)
