"""Transposed 2-D convolution (given library code, issue 15): `ConvTranspose2dFunction`,
`conv_transpose2d` and the `ConvTranspose2d` Module (torch.nn.ConvTranspose2d).

A transposed convolution is the adjoint of a convolution's map input -> output: every
input value scatters W[c] (one (O/G, kh, kw) stamp per input channel) onto the output,
stamps `stride` apart. So its forward is conv_general.py's backward to the input
(cols = Wᵀ x per group, then `fold`), and its backward to the input is a convolution
(`unfold` the upstream gradient, then W per group). Sizes (PyTorch's):

    OH = (H - 1)·sh - 2·ph + dh·(kh - 1) + oph + 1   (likewise OW)

`padding` crops ph rows from both ends of the full result; `output_padding` (< stride or
< dilation) adds rows at the bottom/right, to pick among the sizes a strided conv maps
to the same H. Layout CHWN, as conv.py.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from tinytorch.core import ArgumentError, Context, Function, ShapeError, Tensor, float32
from tinytorch.core.allocator import WORKSPACE
from tinytorch.nn import Module
from tinytorch.vision.conv import check_conv2d_args, from_chwn, pair, to_chwn
from tinytorch.vision.conv_general import by_group, fold, grouped_matmul, unfold
from tinytorch.vision.conv_options import (
    check_channels,
    conv_extra_repr,
    conv_parameters,
    groups_option,
    reset_conv_parameters,
)

Pair = tuple[int, int]
Array = np.ndarray


class TransposeGeometry(NamedTuple):
    stride: Pair
    padding: Pair
    output_padding: Pair
    dilation: Pair
    groups: int


class ConvTranspose2dFunction(Function):
    """x: (B, Cin, H, W), weight: (Cin, Cout/G, kh, kw), bias: (Cout,) or None -> (B, Cout, OH, OW).
    Saves x (as CHWN) and W."""

    @staticmethod
    def forward(
        ctx: Context, x: Array, weight: Array, bias: Array | None, geometry: TransposeGeometry
    ) -> Array:
        stride, padding, _, dilation, groups = geometry
        c_in, per_group, kh, kw = weight.shape
        c_out = per_group * groups
        batch, _, h, w = x.shape
        xc = to_chwn(x)  # (Cin, H, W, B)
        xs = xc.reshape(c_in, h * w * batch)
        # (Cout·kh·kw, N): per group W_gᵀ (Cout/G·kh·kw, Cin/G) @ x_g (Cin/G, N)
        cols = grouped_matmul(weight.reshape(c_in, per_group * kh * kw), xs, groups, transpose_a=True)
        full = full_shape((c_out, h, w, batch), (kh, kw), geometry)
        out_full = fold(cols, full, (kh, kw), stride, dilation, (h, w))
        (ph, pw), (oh, ow) = padding, (full[1] - 2 * padding[0], full[2] - 2 * padding[1])
        out = out_full[:, ph : ph + oh, pw : pw + ow]  # the padding cropped off (a view)
        if bias is not None:
            out += bias[:, None, None, None]
        ctx.save_for_backward(xc, weight)
        ctx.geometry = (geometry, full)
        return from_chwn(out)

    @staticmethod
    def backward(ctx: Context, grad: Array) -> tuple[Any, ...]:
        xc, weight = ctx.saved_tensors
        (stride, (ph, pw), _, dilation, groups), full = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad
        c_in, per_group, kh, kw = weight.shape
        _, h, w, batch = xc.shape
        g = to_chwn(grad)  # (Cout, OH, OW, B)
        g_full = WORKSPACE.zeros(full, grad.dtype)  # the cropped padding had no effect: zero there
        g_full[:, ph : ph + g.shape[1], pw : pw + g.shape[2]] = g
        cols = unfold(g_full, (kh, kw), stride, dilation, (h, w))  # (Cout·kh·kw, N)
        xs = xc.reshape(c_in, h * w * batch)
        dx = dw = db = None
        if need_x:  # a convolution of the gradient: W_g (Cin/G, Cout/G·kh·kw) @ cols_g
            dx_flat = grouped_matmul(weight.reshape(c_in, per_group * kh * kw), cols, groups)
            dx = from_chwn(dx_flat.reshape(c_in, h, w, batch))
        if need_w:  # per group x_g (Cin/G, N) @ cols_gᵀ (N, Cout/G·kh·kw)
            dw = np.matmul(by_group(xs, groups), by_group(cols, groups).transpose(0, 2, 1)).reshape(
                weight.shape
            )
        if need_b:
            db = g.sum(axis=(1, 2, 3))
        return dx, dw, db


def full_shape(chwn: tuple[int, int, int, int], kernel: Pair, geometry: TransposeGeometry) -> tuple[int, ...]:
    """(Cout, FH, FW, B): every stamp fits, plus output_padding rows; the output crops padding."""
    c_out, h, w, batch = chwn
    spans = [(n - 1) * s + d * (k - 1) + 1 + op for n, s, d, k, op in zip(
        (h, w), geometry.stride, geometry.dilation, kernel, geometry.output_padding, strict=True
    )]  # fmt: skip
    return (c_out, spans[0], spans[1], batch)


def check_conv_transpose2d_args(
    x: Any, weight: Tensor, bias: Tensor | None, stride: Any, padding: Any, output_padding: Any,
    groups: Any, dilation: Any, name: object,
) -> TransposeGeometry:  # fmt: skip
    """Validate conv_transpose2d's arguments (PyTorch's rules), errors naming `name` and the shapes."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ArgumentError(f"{name}: groups must be a positive int, got {groups!r}")
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int or a pair of ints, got {padding!r}")
    groups = int(groups)
    if isinstance(weight, Tensor) and isinstance(x, Tensor) and weight.ndim == 4 and x.ndim == 4:
        if weight.shape[0] != x.shape[1] or weight.shape[0] % groups:
            raise ShapeError(
                f"{name}: input of shape {x.shape} has {x.shape[1]} channels, but the weight of shape "
                f"{weight.shape} (in_channels, out_channels/groups, kh, kw) expects {weight.shape[0]} "
                f"(divisible by groups={groups})"
            )
        stand_in = Tensor(np.empty((weight.shape[1] * groups, x.shape[1], 1, 1), weight.dtype))
        check_conv2d_args(x, stand_in, bias, stride, 0, name)  # ndim, dtypes, bias of Cout
    else:
        check_conv2d_args(x, weight, bias, stride, 0, name)  # raises: wrong ndim or type
    geometry = TransposeGeometry(
        pair(stride, "stride", name, 1),
        pair(padding, "padding", name, 0),
        pair(output_padding, "output_padding", name, 0),
        pair(dilation, "dilation", name, 1),
        groups,
    )
    for op, s, d in zip(geometry.output_padding, geometry.stride, geometry.dilation, strict=True):
        if op >= s and op >= d:
            raise ArgumentError(
                f"{name}: output padding must be smaller than either stride or dilation, got "
                f"output_padding {geometry.output_padding}, stride {geometry.stride}, "
                f"dilation {geometry.dilation}"
            )
    full = full_shape((1, x.shape[2], x.shape[3], 1), (weight.shape[2], weight.shape[3]), geometry)
    out_hw = (full[1] - 2 * geometry.padding[0], full[2] - 2 * geometry.padding[1])
    if min(out_hw) < 1:
        raise ShapeError(
            f"{name}: output size {out_hw} is too small (input shape {x.shape}, weight {weight.shape}, "
            f"padding {geometry.padding}, output_padding {geometry.output_padding})"
        )
    return geometry


def conv_transpose2d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    output_padding: Any = 0,
    groups: int = 1,
    dilation: Any = 1,
) -> Tensor:
    """Transposed 2-D convolution (torch.nn.functional.conv_transpose2d; same argument order).

    input: (B, Cin, H, W), weight: (Cin, Cout/groups, kh, kw), bias: (Cout,) -> (B, Cout, OH, OW),
    OH = (H - 1)·sh - 2·ph + dh·(kh - 1) + oph + 1. The gradient of conv2d with respect to its input.
    """
    geometry = check_conv_transpose2d_args(
        input, weight, bias, stride, padding, output_padding, groups, dilation, "conv_transpose2d"
    )
    return ConvTranspose2dFunction.apply(input, weight, bias, geometry=geometry)


class ConvTranspose2d(Module):
    """Transposed 2-D convolution, (B, in_channels, H, W) -> (B, out_channels, OH, OW).

    weight: (in_channels, out_channels / groups, kh, kw), bias: (out_channels,), as PyTorch (state
    dicts interchangeable); PyTorch's init: kaiming_uniform_(a=√5) on the weight (fan_in =
    out_channels/groups·kh·kw, PyTorch's reading of that shape), bias U(±1/√fan_in).
    `forward(x, output_size=None)`: output_size (H, W) picks the output_padding, as PyTorch.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        dtype: Any = float32,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = check_channels(in_channels, out_channels, "ConvTranspose2d")
        if padding_mode != "zeros":
            raise ValueError(f'ConvTranspose2d: only "zeros" padding mode is supported, got {padding_mode!r}')
        self.kernel_size = pair(kernel_size, "kernel_size", "ConvTranspose2d", 1)
        self.stride = pair(stride, "stride", "ConvTranspose2d", 1)
        self.padding = pair(padding, "padding", "ConvTranspose2d", 0)
        self.output_padding = pair(output_padding, "output_padding", "ConvTranspose2d", 0)
        self.dilation = pair(dilation, "dilation", "ConvTranspose2d", 1)
        self.groups = groups_option(groups, self.in_channels, self.out_channels, "ConvTranspose2d")
        self.padding_mode = padding_mode
        shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        self.weight, self.bias = conv_parameters(shape, self.out_channels if bias else None, dtype)

    def reset_parameters(self) -> None:
        reset_conv_parameters(self.weight, self.bias)

    def forward(self, x: Tensor, output_size: Any = None) -> Tensor:
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding_for(x, output_size)
        geometry = check_conv_transpose2d_args(
            x,
            self.weight,
            self.bias,
            self.stride,
            self.padding,
            output_padding,
            self.groups,
            self.dilation,
            self,
        )
        return ConvTranspose2dFunction.apply(x, self.weight, self.bias, geometry=geometry)

    def _output_padding_for(self, x: Tensor, output_size: Any) -> Pair:
        """The output_padding that gives `output_size` ((H, W), or longer: its last two), as PyTorch."""
        size = tuple(int(v) for v in output_size)[-2:]
        if len(size) != 2 or not isinstance(x, Tensor) or x.ndim != 4:
            raise ValueError(f"{self}: output_size must list (H, W), got {output_size!r}")
        pads = []
        for d, n in enumerate(size):
            smallest = (
                (x.shape[2 + d] - 1) * self.stride[d] - 2 * self.padding[d]
                + self.dilation[d] * (self.kernel_size[d] - 1) + 1
            )  # fmt: skip
            if not smallest <= n < smallest + self.stride[d]:
                raise ValueError(
                    f"{self}: requested an output size of {size}, but valid sizes range from "
                    f"{smallest} to {smallest + self.stride[d] - 1} (for an input of shape {x.shape})"
                )
            pads.append(n - smallest)
        return pads[0], pads[1]

    def extra_repr(self) -> str:
        return conv_extra_repr(self)
