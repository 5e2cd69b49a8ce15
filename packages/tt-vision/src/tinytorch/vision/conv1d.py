"""1-D convolution (given library code, issue 15): `conv1d` and the `Conv1d` Module
(torch.nn.functional.conv1d, torch.nn.Conv1d).

No kernels of its own: an (N, C, L) input is an (N, C, 1, L) image and a (O, C/G, k)
weight an (O, C/G, 1, k) one, so conv_general.py's `conv2d_general` (conv.py's im2col fast path when groups =
dilation = 1) does the work and autograd carries the two reshapes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, ShapeError, Tensor, float32
from tinytorch.nn import Module
from tinytorch.vision.conv_general import conv2d_general
from tinytorch.vision.conv_options import (
    check_channels,
    conv_extra_repr,
    conv_parameters,
    groups_option,
    padding_mode_option,
    padding_string,
    reset_conv_parameters,
)


def single(value: Any, name: str, op: object, minimum: int) -> int:
    """An int or a 1-tuple of one, >= minimum (PyTorch's _single), else an error naming `op`."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    ok = len(items) == 1 and isinstance(items[0], (int, np.integer)) and not isinstance(items[0], bool)
    if not (ok and items[0] >= minimum):
        kind = "positive" if minimum > 0 else "non-negative"
        raise (ArgumentError if ok else ValueError)(f"{op}: {name} must be a {kind} int, got {value!r}")
    return int(items[0])


def conv1d(
    input: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: Any = 1,
    padding: Any = 0,
    dilation: Any = 1,
    groups: int = 1,
) -> Tensor:
    """1-D convolution: input (N, C, L), weight (O, C/groups, k), bias (O,) -> (N, O, OL),
    OL = (L + 2·p - d·(k-1) - 1) // s + 1; padding an int, "valid" or "same" (stride 1)."""
    return _conv1d(input, weight, bias, stride, padding, dilation, groups, "conv1d")


def _conv1d(
    x: Any,
    weight: Any,
    bias: Tensor | None,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    name: object,
) -> Tensor:
    for what, t, shape in (
        ("input", x, "(N, C, L)"),
        ("weight", weight, "(out_channels, in_channels/groups, k)"),
    ):
        if isinstance(t, Tensor) and t.ndim != 3:
            raise ShapeError(f"{name}: expected a 3-D {what} {shape}, got shape {t.shape}")
    if not isinstance(x, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(
            f"{name}: expected Tensors for input and weight, got {type(x).__name__}, {type(weight).__name__}"
        )
    s = single(stride, "stride", name, 1)
    d = single(dilation, "dilation", name, 1)
    p: Any = padding if isinstance(padding, str) else (0, single(padding, "padding", name, 0))
    n, c, length = x.shape
    o, per_group, k = weight.shape
    x4, w4 = x.reshape(n, c, 1, length), weight.reshape(o, per_group, 1, k)
    # the plain case resolves to conv2d's im2col fast path; errors name the 4-D views' shapes
    out = conv2d_general(x4, w4, bias, (1, s), p, (1, d), groups, name)
    return out.reshape(n, o, out.shape[3])


class Conv1d(Module):
    """1-D convolution over (N, in_channels, L) -> (N, out_channels, OL) (torch.nn.Conv1d).

    weight: (out_channels, in_channels / groups, kernel_size), bias: (out_channels,): PyTorch's
    state-dict keys and shapes, and its init (kaiming_uniform_(a=√5), bias U(±1/√fan_in)).
    padding: an int, "valid" or "same"; padding_mode "zeros" only.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        dtype: Any = float32,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels = check_channels(in_channels, out_channels, "Conv1d")
        if padding_mode_option(padding_mode, "Conv1d") != "zeros":
            raise ValueError(f"Conv1d: padding_mode {padding_mode!r} is not supported (zeros only)")
        self.kernel_size = (single(kernel_size, "kernel_size", "Conv1d", 1),)
        self.stride = (single(stride, "stride", "Conv1d", 1),)
        string = padding_string(padding, self.stride, "Conv1d")
        self.padding: Any = padding if string else (single(padding, "padding", "Conv1d", 0),)
        self.dilation = (single(dilation, "dilation", "Conv1d", 1),)
        self.groups = groups_option(groups, self.in_channels, self.out_channels, "Conv1d")
        self.padding_mode = padding_mode
        shape = (self.out_channels, self.in_channels // self.groups, self.kernel_size[0])
        self.weight, self.bias = conv_parameters(shape, self.out_channels if bias else None, dtype)

    def reset_parameters(self) -> None:
        reset_conv_parameters(self.weight, self.bias)

    def forward(self, x: Tensor) -> Tensor:
        padding = self.padding if isinstance(self.padding, str) else self.padding[0]
        return _conv1d(x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups, self)

    def extra_repr(self) -> str:
        return conv_extra_repr(self)
