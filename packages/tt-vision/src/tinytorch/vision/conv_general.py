"""Grouped and dilated 2-D convolution (given library code, issue 15).

`conv2d` (conv.py) keeps its im2col fast path for the plain case (groups=1, dilation=1,
the same padding on both sides); everything else comes here:

- **dilation** (dh, dw): window element (i, j) reads input (oh·sh + i·dh, ow·sw + j·dw);
  the strided view that lists the windows just steps dh rows per kernel row.
- **groups** G: the C input channels and O filters split into G groups; group g's
  O/G filters see only its C/G channels (weight (O, C/G, kh, kw)). Since `cols`
  rows are ordered (c, i, j), group g's rows are one contiguous block, so the
  forward is one *batched* GEMM, (G, O/G, C/G·kh·kw) @ (G, C/G·kh·kw, N).
  Depthwise (G = C) is the case O/G = 1.
- **asymmetric padding** ((top, bottom), (left, right)): what padding="same" needs when
  d·(k-1) is odd (PyTorch puts the extra row/column at the bottom/right).

`unfold` and `fold` (its adjoint) are shared with conv_transpose.py: a transposed
convolution's forward is this file's backward-to-the-input, and its backward to the
input is this file's forward. Same CHWN layout as conv.py (batch innermost).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinytorch.core import ArgumentError, Context, Function, ShapeError, Tensor, pad
from tinytorch.core.allocator import WORKSPACE
from tinytorch.vision.conv import Conv2dFunction, check_conv2d_args, from_chwn, pair, to_chwn, window_slice

Pair = tuple[int, int]
Sides = tuple[Pair, Pair]  # ((top, bottom), (left, right))
Array = np.ndarray
PADDING_STRINGS = ("same", "valid")


class Geometry(NamedTuple):
    """A checked convolution's settings, every one as PyTorch resolves it."""

    stride: Pair
    padding: Sides
    dilation: Pair
    groups: int


# ------------------------------------------------------------------ kernels


def pad_sides(xc: Array, padding: Sides) -> Array:
    """(C, H, W, B) -> zero-padded (C, top + H + bottom, left + W + right, B) (xc itself if none)."""
    (top, bottom), (left, right) = padding
    if top == bottom == left == right == 0:
        return xc
    c, h, w, b = xc.shape
    out = WORKSPACE.zeros((c, top + h + bottom, left + w + right, b), xc.dtype)
    out[:, top : top + h, left : left + w] = xc
    return out


def unfold(xp: Array, kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair) -> Array:
    """Padded (C, Hp, Wp, B) -> (C·kh·kw, OH·OW·B): row (c, i, j), column (oh, ow, b) holds
    xp[c, oh·sh + i·dh, ow·sw + j·dw, b] (im2col with dilation)."""
    c, _, _, b = xp.shape
    step_c, step_h, step_w, step_b = xp.strides
    shape = (c, kernel[0], kernel[1], out_hw[0], out_hw[1], b)
    steps = (
        step_c,
        dilation[0] * step_h,  # kernel row i: i·dh rows down
        dilation[1] * step_w,
        stride[0] * step_h,  # output row oh: oh·sh rows down
        stride[1] * step_w,
        step_b,
    )
    flat = WORKSPACE.empty(shape, xp.dtype)
    flat[...] = as_strided(xp, shape, steps, writeable=False)
    return flat.reshape(shape[0] * shape[1] * shape[2], shape[3] * shape[4] * shape[5])


def fold(
    cols: Array, padded_shape: tuple[int, ...], kernel: Pair, stride: Pair, dilation: Pair, out_hw: Pair
) -> Array:
    """The adjoint of `unfold`: (C·kh·kw, OH·OW·B) -> (C, Hp, Wp, B), each value added back
    where `unfold` read it (positions shared by overlapping windows collect a sum)."""
    c, _, _, b = padded_shape
    kh, kw = kernel
    oh, ow = out_hw
    taps = cols.reshape(c, kh, kw, oh, ow, b)
    out = WORKSPACE.zeros(padded_shape, cols.dtype)
    for i in range(kh):  # kh·kw strided slice-adds, one per window element
        rows = window_slice(i * dilation[0], oh, stride[0])
        for j in range(kw):
            out[:, rows, window_slice(j * dilation[1], ow, stride[1])] += taps[:, i, j]
    return out


def by_group(a: Array, groups: int) -> Array:
    """(G·M, K) -> (G, M, K): the rows of each group, one matrix per group (a view)."""
    return a.reshape(groups, a.shape[0] // groups, a.shape[1])


def grouped_matmul(a: Array, b: Array, groups: int, transpose_a: bool = False) -> Array:
    """One GEMM per group, batched: a (G·M, K) (or (G·K, M) with transpose_a), b (G·K, N)
    -> (G·M, N), rows of group g = a_g @ b_g (or a_gᵀ @ b_g)."""
    ag = by_group(a, groups)
    if transpose_a:
        ag = ag.transpose(0, 2, 1)
    bg = by_group(b, groups)
    # a sum over one term (a depthwise conv's backward: one filter per group) is an outer
    # product; NumPy's batched matmul does it ~6x slower than a broadcast multiply
    out = ag * bg if ag.shape[2] == 1 else np.matmul(ag, bg)  # (G, M, N)
    return out.reshape(out.shape[0] * out.shape[1], out.shape[2])


def grouped_outer(g: Array, cols: Array, groups: int) -> Array:
    """Per group g_g @ cols_gᵀ: g (G·M, N), cols (G·K, N) -> (G, M, K), a weight's gradient."""
    return np.matmul(by_group(g, groups), by_group(cols, groups).transpose(0, 2, 1))


# ----------------------------------------------------------------- Function


class GroupedConv2dFunction(Function):
    """out = conv(x, W) + b with groups, dilation and per-side padding: unfold + batched GEMM.

    x: (B, C, H, W), weight: (O, C/G, kh, kw), bias: (O,) or None -> (B, O, OH, OW),
    OH = (H + top + bottom - dh·(kh-1) - 1) // sh + 1 (likewise OW). Saves cols and W.
    """

    @staticmethod
    def forward(ctx: Context, x: Array, weight: Array, bias: Array | None, geometry: Geometry) -> Array:
        stride, padding, dilation, groups = geometry
        xp = pad_sides(to_chwn(x), padding)  # (C, Hp, Wp, B)
        kernel = (weight.shape[2], weight.shape[3])
        out_hw = dilated_output_hw(xp.shape[1:3], kernel, stride, dilation)
        cols = unfold(xp, kernel, stride, dilation, out_hw)  # (C·kh·kw, N)
        out = grouped_matmul(weight.reshape(weight.shape[0], -1), cols, groups)  # (O, N)
        ctx.save_for_backward(cols, weight)
        if bias is not None:
            out += bias[:, None]
        ctx.geometry = (geometry, xp.shape, x.shape)
        return from_chwn(out.reshape(weight.shape[0], *out_hw, x.shape[0]))

    @staticmethod
    def backward(ctx: Context, grad: Array) -> tuple[Any, ...]:
        cols, weight = ctx.saved_tensors
        (stride, padding, dilation, groups), padded_shape, x_shape = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad
        g2 = to_chwn(grad).reshape(weight.shape[0], math.prod(grad.shape) // weight.shape[0])  # (O, N)
        dw = grouped_outer(g2, cols, groups).reshape(weight.shape) if need_w else None
        db = g2.sum(axis=1) if need_b else None
        dx = None
        if need_x:
            dcols = grouped_matmul(weight.reshape(weight.shape[0], -1), g2, groups, transpose_a=True)
            kernel = (weight.shape[2], weight.shape[3])
            out_hw = (grad.shape[2], grad.shape[3])
            dxp = fold(dcols, padded_shape, kernel, stride, dilation, out_hw)
            (top, _), (left, _) = padding
            dx = from_chwn(dxp[:, top : top + x_shape[2], left : left + x_shape[3]])
        return dx, dw, db


def dilated_output_hw(padded_hw: Any, kernel: Pair, stride: Pair, dilation: Pair) -> Pair:
    """Output positions along H and W of a dilated window (span d·(k-1) + 1) in the padded input."""
    oh = (padded_hw[0] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    ow = (padded_hw[1] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1
    return oh, ow


# -------------------------------------------------------------- arguments


def resolve_padding(padding: Any, kernel: Pair, stride: Pair, dilation: Pair, name: object) -> Sides:
    """An int, a pair, "valid" or "same" -> ((top, bottom), (left, right)), as PyTorch.

    "same" keeps H and W (stride 1 only): total d·(k-1) per dim, the odd one at the end.
    """
    if isinstance(padding, str):
        if padding not in PADDING_STRINGS:
            raise ValueError(f"{name}: invalid padding string {padding!r}, expected 'same' or 'valid'")
        if padding == "valid":
            return (0, 0), (0, 0)
        if stride != (1, 1):
            raise ArgumentError(
                f"{name}: padding='same' is not supported for strided convolutions (stride {stride})"
            )
        totals = [d * (k - 1) for d, k in zip(dilation, kernel, strict=True)]
        (th, tw) = totals
        return (th // 2, th - th // 2), (tw // 2, tw - tw // 2)
    ph, pw = pair(padding, "padding", name, 0)
    return (ph, ph), (pw, pw)


def check_conv_args(
    x: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any, groups: Any,
    name: object,
) -> Geometry:  # fmt: skip
    """Validate a grouped/dilated conv2d's arguments (conv.py's checks for the rest) -> Geometry."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ArgumentError(f"{name}: groups must be a positive int, got {groups!r}")
    groups = int(groups)
    dilation_hw = pair(dilation, "dilation", name, 1)
    stride_hw = pair(stride, "stride", name, 1)
    if isinstance(weight, Tensor) and weight.ndim == 4 and weight.shape[0] % groups:
        raise ShapeError(
            f"{name}: weight of shape {weight.shape} has {weight.shape[0]} filters, not divisible by "
            f"groups={groups}"
        )
    if isinstance(x, Tensor) and isinstance(weight, Tensor) and x.ndim == 4 and weight.ndim == 4:
        if x.shape[1] != weight.shape[1] * groups:
            raise ShapeError(
                f"{name}: groups={groups} and weight of shape {weight.shape} expect an input with "
                f"{weight.shape[1] * groups} channels, got input of shape {x.shape}"
            )
        # conv.py's checks (ndim, dtypes, bias) on a stand-in weight with all C channels
        stand_in = Tensor(np.empty((weight.shape[0], x.shape[1], 1, 1), weight.dtype))
        check_conv2d_args(x, stand_in, bias, stride_hw, 0, name)
    else:
        check_conv2d_args(x, weight, bias, stride_hw, 0, name)  # raises: wrong ndim or type
    kernel = (weight.shape[2], weight.shape[3])
    sides = resolve_padding(padding, kernel, stride_hw, dilation_hw, name)
    padded = (x.shape[2] + sum(sides[0]), x.shape[3] + sum(sides[1]))
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation_hw, kernel, strict=True))
    if padded[0] < span[0] or padded[1] < span[1]:
        raise ShapeError(
            f"{name}: kernel size {kernel} with dilation {dilation_hw} spans {span}, larger than the "
            f"padded input {padded} (input shape {x.shape}, padding {sides})"
        )
    return Geometry(stride_hw, sides, dilation_hw, groups)


def conv2d_general(
    x: Tensor, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, dilation: Any, groups: Any,
    name: object,
) -> Tensor:  # fmt: skip
    """conv2d with any groups / dilation / padding string: the plain case after resolving goes
    to conv.py's `Conv2dFunction` (the fast path), the rest to `GroupedConv2dFunction`."""
    geometry = check_conv_args(x, weight, bias, stride, padding, dilation, groups, name)
    (top, bottom), (left, right) = geometry.padding
    if geometry.groups == 1 and geometry.dilation == (1, 1) and top == bottom and left == right:
        return Conv2dFunction.apply(x, weight, bias, stride=geometry.stride, padding=(top, left))
    return GroupedConv2dFunction.apply(x, weight, bias, geometry=geometry)


def conv_module_forward(layer: Any, x: Tensor) -> Tensor:
    """A Conv2d layer's forward outside the fast path: groups, dilation, a padding string, or a
    padding_mode other than zeros (the input padded by tinytorch.core.pad, then no padding)."""
    padding = layer.padding
    if layer.padding_mode != "zeros" and isinstance(x, Tensor) and x.ndim == 4:
        (top, bottom), (left, right) = resolve_padding(
            padding, layer.kernel_size, layer.stride, layer.dilation, layer
        )
        x = pad(x, (left, right, top, bottom), mode=layer.padding_mode)
        padding = 0
    return conv2d_general(
        x, layer.weight, layer.bias, layer.stride, padding, layer.dilation, layer.groups, layer
    )
