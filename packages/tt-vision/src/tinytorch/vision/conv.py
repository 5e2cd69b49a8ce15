"""2-D convolution (module 09): the Functions, the functional forms and the Conv2d Module.

Two implementations side by side ("readable first, then fast", see ARCHITECTURE.md):

- `Conv2dLoop` (used by `conv2d_reference`): the definition, one output value
  at a time, out[b, o, i, j] = sum(window · W[o]) + bias[o], and a backward
  written the same way. Slow (Python loops over B·O·OH·OW) but obviously right:
  the teaching version and the oracle the fast path is tested against.
- `Conv2dFunction` (used by `conv2d` and the `Conv2d` module): im2col + one GEMM.
  Every window is copied, through a strided view (`as_strided`), into one
  matrix `cols` (C·kh·kw, OH·OW·B); then out = W (O, C·kh·kw) @ cols. Backward
  is two more GEMMs, dW = g @ cols.T and dcols = W.T @ g, and col2im: kh·kw
  strided slice-adds of dcols back onto the input (`col2im_gemm` computes
  dcols one (C, N) slab per window element, adding each as it comes).

Memory layout. The fast path works in "CHWN" order, batch innermost: it
views its (B, C, H, W) input as (C, H, W, B) and returns its output as a
(B, O, OH, OW) *view* of an (O, OH, OW, B) buffer. Why: every slice these ops
take (a window position, a pooling phase) then keeps runs of W·B or B
contiguous numbers, so NumPy's inner loops are long; the GEMM result needs no
transpose; and the next conv or pooling layer finds its input already in that
order (`to_chwn` is then free). Elementwise ops between them (ReLU) keep the
layout, since NumPy's ufuncs preserve their input's memory order. Values and
shapes are exactly PyTorch's; only the strides differ (Flatten copies).

In this file, in order: the layout helpers (shared with pool.py), the fast
Function, the loop Function, the argument check, the functions `conv2d` /
`conv2d_reference` (re-exported by `tinytorch.vision.functional`) and the
`Conv2d` Module, which holds the weights and calls the fast Function through
the same check.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tinytorch.core import ArgumentError, Context, DTypeError, Function, ShapeError, Tensor, float32
from tinytorch.core.allocator import WORKSPACE
from tinytorch.nn import Module, Parameter, init
from tinytorch.vision import conv_options

Pair = tuple[int, int]
Array = np.ndarray


# ------------------------------------------------------------ layout helpers


def pair(value: Any, name: str, op: object, minimum: int) -> Pair:
    """An int or a pair of ints as (h, w), each >= minimum; else an error naming `op`.

    Ints below `minimum` (a zero stride, a negative padding) are an ArgumentError (PyTorch:
    RuntimeError, "non-positive stride is not supported"); anything else a ValueError.
    """
    items = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    ints = len(items) == 2 and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items
    )
    if not (ints and all(v >= minimum for v in items)):
        kind = "positive" if minimum > 0 else "non-negative"
        raise (ArgumentError if ints else ValueError)(
            f"{op}: {name} must be a {kind} int or a pair of them, got {value!r}"
        )
    return int(items[0]), int(items[1])


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Positions a window of `kernel` fits at, every `stride`, in `size` + 2·padding values."""
    return (size + 2 * padding - kernel) // stride + 1


def to_chwn(x: np.ndarray) -> np.ndarray:
    """(B, C, H, W) -> contiguous (C, H, W, B): free when x is a view of such a buffer."""
    xt = x.transpose(1, 2, 3, 0)
    if xt.flags.c_contiguous:
        return xt
    out = WORKSPACE.empty(xt.shape, x.dtype)
    np.copyto(out, xt)
    return out


def from_chwn(x: np.ndarray) -> np.ndarray:
    """(C, H, W, B) -> the (B, C, H, W) view of the same buffer (no copy)."""
    return x.transpose(3, 0, 1, 2)


def pad_chwn(x: np.ndarray, padding: Pair, value: float = 0.0) -> np.ndarray:
    """(C, H, W, B) -> (C, H + 2ph, W + 2pw, B), the border filled with `value` (x itself if no padding)."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    c, h, w, b = x.shape
    out = WORKSPACE.empty((c, h + 2 * ph, w + 2 * pw, b), x.dtype)
    out.fill(value)
    out[:, ph : ph + h, pw : pw + w] = x
    return out


def window_slice(offset: int, count: int, stride: int) -> slice:
    """Positions offset, offset + stride, ... (count of them): where window element `offset` lands."""
    return slice(offset, offset + stride * (count - 1) + 1, stride)


# ----------------------------------------------------------- fast: im2col + GEMM


def im2col(xp: np.ndarray, kernel: Pair, stride: Pair, out_hw: Pair) -> np.ndarray:
    """Padded (C, Hp, Wp, B) -> cols (C·kh·kw, OH·OW·B), cols[(c, i, j), (oh, ow, b)] =
    xp[c, oh·sh + i, ow·sw + j, b]: every window as one column, in one copy."""
    ### BEGIN SOLUTION 09
    c, _, _, b = xp.shape
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out_hw
    s_c, s_h, s_w, s_b = xp.strides
    # A view, no copy: the window offset (i, j) and the output position (oh, ow) both step through xp.
    windows = as_strided(xp, (c, kh, kw, oh, ow, b), (s_c, s_h, s_w, sh * s_h, sw * s_w, s_b))
    cols = WORKSPACE.empty((c, kh, kw, oh, ow, b), xp.dtype)
    np.copyto(cols, windows)  # the one copy: runs of OW·B contiguous values when the stride is 1
    return cols.reshape(c * kh * kw, oh * ow * b)
    ### END SOLUTION


def col2im_gemm(weight: np.ndarray, g: np.ndarray, padded_shape: tuple[int, ...], stride: Pair) -> np.ndarray:
    """dx (padded, (C, Hp, Wp, B)) from g = dL/dout (O, OH, OW, B): dcols = Wᵀ @ g, then col2im.

    col2im is the adjoint of im2col: row (c, i, j) of dcols goes back, summed, onto the input
    positions window element (i, j) was copied from. Done one window element at a time: its
    slab of dcols, W[:, :, i, j]ᵀ @ g2 (C, N), is computed and added at once, so only one
    (C, N) slab exists instead of all kh·kw of them (the full dcols is as big as cols).
    """
    ### BEGIN SOLUTION 09
    o, c, kh, kw = weight.shape
    _, oh, ow, b = g.shape
    g2 = g.reshape(o, -1)  # (O, N), N = OH·OW·B
    sh, sw = stride
    dxp = WORKSPACE.zeros(padded_shape, g2.dtype)
    slab = WORKSPACE.empty((c, g2.shape[1]), g2.dtype)  # (C, OH·OW·B)
    per_element = weight.transpose(2, 3, 1, 0)  # (kh, kw, C, O) view
    for i in range(kh):  # kh·kw slice-adds; windows overlap, so each input value collects several
        rows = window_slice(i, oh, sh)
        for j in range(kw):
            np.matmul(per_element[i, j], g2, out=slab)  # (C, O) @ (O, N)
            dxp[:, rows, window_slice(j, ow, sw)] += slab.reshape(c, oh, ow, b)
    return dxp
    ### END SOLUTION


class Conv2dFunction(Function):
    """out = conv(x, W) + b by im2col and one GEMM.

    x: (B, C, H, W), weight: (O, C, kh, kw), bias: (O,) or None -> (B, O, OH, OW)
    with OH = (H + 2ph - kh) // sh + 1 (likewise OW). Saves cols (C·kh·kw·OH·OW·B
    values, K² times the input for a stride-1 conv) and W.
    """

    @staticmethod
    def forward(
        ctx: Context, x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair
    ) -> Array:
        ### BEGIN SOLUTION 09
        o, _, kh, kw = weight.shape
        _, _, h, w = x.shape
        out_hw = (output_size(h, kh, stride[0], padding[0]), output_size(w, kw, stride[1], padding[1]))
        xp = pad_chwn(to_chwn(x), padding)  # (C, Hp, Wp, B)
        cols = im2col(xp, (kh, kw), stride, out_hw)  # (C·kh·kw, OH·OW·B)
        out = WORKSPACE.empty((o, cols.shape[1]), x.dtype)
        np.matmul(weight.reshape(o, -1), cols, out=out)  # (O, C·kh·kw) @ (C·kh·kw, OH·OW·B): one GEMM
        if bias is not None:
            out += bias[:, None]  # in place on the fresh result
        ctx.save_for_backward(cols, weight)
        ctx.shapes = (xp.shape, padding, stride, (h, w))
        return from_chwn(out.reshape(o, *out_hw, x.shape[0]))  # (B, O, OH, OW) view of (O, OH, OW, B)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        ### BEGIN SOLUTION 09
        cols, weight = ctx.saved_tensors
        padded_shape, (ph, pw), stride, (h, w) = ctx.shapes
        need_x, need_w, need_b = ctx.needs_input_grad
        o = weight.shape[0]
        g = to_chwn(grad)  # (O, OH, OW, B); free when grad came from a CHWN op (ReLU, pooling)
        g2 = g.reshape(o, -1)  # (O, OH·OW·B)
        dw = (g2 @ cols.T).reshape(weight.shape) if need_w else None  # (O, N) @ (N, C·kh·kw)
        db = g2.sum(axis=1) if need_b else None  # (O,): the bias touched every position
        dx = None
        if need_x:  # skipped for a network's first layer: nothing upstream wants it
            dxp = col2im_gemm(weight, g, padded_shape, stride)  # (C, Hp, Wp, B)
            dx = from_chwn(dxp[:, ph : ph + h, pw : pw + w])  # drop the padding; (B, C, H, W) view
        return dx, dw, db
        ### END SOLUTION


# ---------------------------------------------------------- readable: the loops


class Conv2dLoop(Function):
    """The same convolution written as its definition, one output value per iteration.

    out[b, o, i, j] = sum(xp[b, :, i·sh : i·sh + kh, j·sw : j·sw + kw] · W[o]) + bias[o],
    where xp is x zero-padded by (ph, pw). Shapes as `Conv2dFunction`; saves x and W.
    """

    @staticmethod
    def forward(
        ctx: Context, x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair
    ) -> Array:
        ### BEGIN SOLUTION 09
        (sh, sw), (ph, pw) = stride, padding
        n_out, _, kh, kw = weight.shape
        batch, _, h, w = x.shape
        oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
        xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))  # zeros around each image
        out = np.zeros((batch, n_out, oh, ow), dtype=x.dtype)
        for b in range(batch):
            for o in range(n_out):
                for i in range(oh):
                    for j in range(ow):
                        window = xp[b, :, i * sh : i * sh + kh, j * sw : j * sw + kw]  # (C, kh, kw)
                        out[b, o, i, j] = np.sum(window * weight[o])
                if bias is not None:
                    out[b, o] += bias[o]
        ctx.save_for_backward(xp, weight)
        ctx.geometry = (stride, padding, (h, w))
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        ### BEGIN SOLUTION 09
        xp, weight = ctx.saved_tensors
        (sh, sw), (ph, pw), (h, w) = ctx.geometry
        n_out, _, kh, kw = weight.shape
        batch, _, oh, ow = grad.shape
        dxp = np.zeros_like(xp)
        dw = np.zeros_like(weight)
        # Each output value used one window and one filter: send its gradient back to both.
        for b in range(batch):
            for o in range(n_out):
                for i in range(oh):
                    for j in range(ow):
                        rows, cols = slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw)
                        dw[o] += grad[b, o, i, j] * xp[b, :, rows, cols]
                        dxp[b, :, rows, cols] += grad[b, o, i, j] * weight[o]
        db = grad.sum(axis=(0, 2, 3))  # (O,)
        dx = dxp[:, :, ph : ph + h, pw : pw + w]
        need_x, need_w, need_b = ctx.needs_input_grad
        return (dx if need_x else None), (dw if need_w else None), (db if need_b else None)
        ### END SOLUTION


# -------------------------------------------------------------- functional API


def check_conv2d_args(
    x: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, name: object
) -> tuple[Pair, Pair]:
    """Validate conv2d's arguments; returns (stride, padding) as pairs. Errors start with `name`:
    a function's name, or the layer (its repr is formatted only on failure).

    Errors have PyTorch's types (tinytorch.core.errors): shapes that do not fit are a
    ShapeError, dtypes a DTypeError, a zero stride or negative padding an ArgumentError.
    """
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise (DTypeError if isinstance(x, Tensor) else TypeError)(
            f"{name}: expected a float32 or float64 input Tensor, got {got}"
        )
    if weight.ndim != 4:
        raise ShapeError(
            f"{name}: weight must be 4-D (out_channels, in_channels, kh, kw), got {weight.shape}"
        )
    if x.ndim != 4:
        raise ShapeError(f"{name}: expected a 4-D input (B, C, H, W), got shape {x.shape}")
    if x.dtype != weight.dtype:
        raise DTypeError(
            f"{name}: input has dtype {x.dtype} but the weight has {weight.dtype}; "
            "convert one with .to(...) (tinytorch never converts silently)"
        )
    if x.shape[1] != weight.shape[1]:
        raise ShapeError(
            f"{name}: input of shape {x.shape} has {x.shape[1]} channels, but the weight of shape "
            f"{weight.shape} expects {weight.shape[1]}"
        )
    if bias is not None and (bias.shape != (weight.shape[0],) or bias.dtype != weight.dtype):
        # (a ValueError before, so a bias of the wrong dtype stays one: ArgumentError)
        raise (ShapeError if bias.shape != (weight.shape[0],) else ArgumentError)(
            f"{name}: bias has shape {bias.shape} ({bias.dtype}), "
            f"expected ({weight.shape[0]},) {weight.dtype}"
        )
    stride_hw = pair(stride, "stride", name, 1)
    padding_hw = pair(padding, "padding", name, 0)
    padded = (x.shape[2] + 2 * padding_hw[0], x.shape[3] + 2 * padding_hw[1])
    if padded[0] < weight.shape[2] or padded[1] < weight.shape[3]:
        raise ShapeError(
            f"{name}: kernel size {tuple(weight.shape[2:])} is larger than the padded input {padded} "
            f"(input shape {x.shape}, padding {padding_hw})"
        )
    return stride_hw, padding_hw


def conv2d(
    x: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """2-D convolution (cross-correlation, as PyTorch): the fast im2col version.

    x: (B, C, H, W), weight: (O, C/groups, kh, kw), bias: (O,) -> (B, O, OH, OW),
    OH = (H + 2·ph - dh·(kh-1) - 1) // sh + 1. stride, padding, dilation: an int or an
    (h, w) pair; padding also "valid" (0) or "same" (stride 1; an odd total puts the extra
    row/column at the bottom/right, as PyTorch). The result is a view of a (O, OH, OW, B)
    buffer (see the module docstring). groups / dilation / "same" run conv_general.py's
    grouped im2col; the plain case stays on `Conv2dFunction`.
    """
    if groups == 1 and dilation == 1 and not isinstance(padding, str):
        stride_hw, padding_hw = check_conv2d_args(x, weight, bias, stride, padding, "conv2d")
        return Conv2dFunction.apply(x, weight, bias, stride=stride_hw, padding=padding_hw)
    from tinytorch.vision.conv_general import conv2d_general  # (it builds on this file's helpers)

    return conv2d_general(x, weight, bias, stride, padding, dilation, groups, "conv2d")


def conv2d_reference(
    x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: Any = 1, padding: Any = 0
) -> Tensor:
    """`conv2d` by the loop version (teaching version and test oracle): same contract, far slower."""
    stride_hw, padding_hw = check_conv2d_args(x, weight, bias, stride, padding, "conv2d_reference")
    return Conv2dLoop.apply(x, weight, bias, stride=stride_hw, padding=padding_hw)


# ---------------------------------------------------------------------- module


class Conv2d(Module):
    """2-D convolution over (B, in_channels, H, W) -> (B, out_channels, OH, OW).

    weight: (out_channels, in_channels / groups, kh, kw), bias: (out_channels,), as PyTorch,
    so state dicts are interchangeable. kernel_size, stride, padding, dilation: an int or
    an (h, w) pair; padding also "same" or "valid"; padding_mode "zeros" (default),
    "reflect", "replicate" or "circular" (through tinytorch.core.pad). groups splits the
    channels (groups == in_channels: depthwise). Initialised as torch.nn.Conv2d: weight by
    kaiming_uniform_(a=√5), i.e. U(-1/√fan_in, 1/√fan_in) with fan_in = in_channels/groups·kh·kw, bias from
    the same range, both from tinytorch.core's global generator.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        bias: bool = True,
        dtype: Any = float32,
        dilation: Any = 1,
        groups: int = 1,
        padding_mode: str = "zeros",
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = conv_options.check_channels(in_channels, out_channels, "Conv2d")
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        string = conv_options.padding_string(padding, self.stride, "Conv2d")
        self.padding: Any = padding if string else pair(padding, "padding", "Conv2d", 0)
        self.dilation = pair(dilation, "dilation", "Conv2d", 1)
        self.groups = conv_options.groups_option(groups, in_channels, out_channels, "Conv2d")
        self.padding_mode = conv_options.padding_mode_option(padding_mode, "Conv2d")
        ### BEGIN SOLUTION 09
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()
        ### END SOLUTION
        if self.groups > 1:  # each filter sees in_channels / groups channels: that weight, drawn again
            shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
            self.weight = Parameter(np.empty(shape, dtype=dtype))
            if self.bias is not None:  # registered again after the weight: PyTorch's state-dict order
                self.bias = Parameter(self.bias.data)
            self.reset_parameters()

    def reset_parameters(self) -> None:
        """Draw fresh weights (weight first, then bias, as PyTorch)."""
        ### BEGIN SOLUTION 09
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        if self.padding_mode != "zeros" or not self.plain():
            from tinytorch.vision.conv_general import conv_module_forward  # (builds on this file)

            return conv_module_forward(self, x)
        stride, padding = check_conv2d_args(x, self.weight, self.bias, self.stride, self.padding, self)
        return Conv2dFunction.apply(x, self.weight, self.bias, stride=stride, padding=padding)

    def plain(self) -> bool:
        """True for the fast path's case: groups 1, dilation 1, padding a pair of ints."""
        return self.groups == 1 and self.dilation == (1, 1) and not isinstance(self.padding, str)

    def extra_repr(self) -> str:
        return conv_options.conv_extra_repr(self)
