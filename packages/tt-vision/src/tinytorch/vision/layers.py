"""Conv2d, MaxPool2d and AvgPool2d modules (module 09), mirroring torch.nn.

Thin Modules around the functions of ops_conv.py / ops_pool.py: they hold the
weights and options and call the fast Function through the same checks as the functions. State
dict keys, weight shapes, initialisation and `repr` are PyTorch's.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinytorch.core import Tensor, float32
from tinytorch.nn import Module, Parameter, init
from tinytorch.vision import ops_conv, ops_pool
from tinytorch.vision.ops_conv import pair


class Conv2d(Module):
    """2-D convolution over (B, in_channels, H, W) -> (B, out_channels, OH, OW).

    weight: (out_channels, in_channels, kh, kw), bias: (out_channels,), as PyTorch,
    so state dicts are interchangeable. kernel_size, stride, padding: an int or
    an (h, w) pair. Initialised as torch.nn.Conv2d: weight by kaiming_uniform_(a=√5),
    i.e. U(-1/√fan_in, 1/√fan_in) with fan_in = in_channels·kh·kw, bias from
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
    ) -> None:
        super().__init__()
        for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ValueError(f"Conv2d: {name} must be a positive int, got {n!r}")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2d", 1)
        self.stride = pair(stride, "stride", "Conv2d", 1)
        self.padding = pair(padding, "padding", "Conv2d", 0)
        ### BEGIN SOLUTION 09
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(np.empty(shape, dtype=dtype))
        self.bias = Parameter(np.empty(self.out_channels, dtype=dtype)) if bias else None
        self.reset_parameters()
        ### END SOLUTION

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
        stride, padding = ops_conv.check_conv2d_args(
            x, self.weight, self.bias, self.stride, self.padding, self
        )
        return ops_conv.Conv2d.apply(x, self.weight, self.bias, stride=stride, padding=padding)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.bias is None:
            text += ", bias=False"
        return text


class _Pool2d(Module):
    """Holds kernel_size, stride (default: the kernel size) and padding as given, as PyTorch does;
    they are checked here and again, with the input, by `ops_pool.pool2d`."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0) -> None:
        super().__init__()
        name = type(self).__name__
        pair(kernel_size, "kernel_size", name, 1)
        pair(kernel_size if stride is None else stride, "stride", name, 1)
        pair(padding, "padding", name, 0)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding


class MaxPool2d(_Pool2d):
    """Max over (kh, kw) windows every stride (default: the kernel size). (B, C, H, W) -> (B, C, OH, OW)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops_pool.pool2d(ops_pool.MaxPool2d, self, x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            "dilation=1, ceil_mode=False"
        )


class AvgPool2d(_Pool2d):
    """Mean over (kh, kw) windows every stride (zero padding counted). (B, C, H, W) -> (B, C, OH, OW)."""

    def forward(self, x: Tensor) -> Tensor:
        return ops_pool.pool2d(ops_pool.AvgPool2d, self, x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
