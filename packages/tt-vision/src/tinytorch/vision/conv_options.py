"""The convolution layers' constructor options, checked as PyTorch checks them (given code).

Shared by `Conv2d` (conv.py), `ConvTranspose2d` (conv_transpose.py) and `Conv1d`
(conv1d.py): groups, padding strings, padding_mode, and PyTorch's default init.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinytorch.core import Tensor
from tinytorch.nn import Parameter, init

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def groups_option(groups: Any, in_channels: int, out_channels: int, layer: str) -> int:
    """A positive int dividing both channel counts (PyTorch: ValueError), else an error naming them."""
    if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise ValueError(f"{layer}: groups must be a positive integer, got {groups!r}")
    for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
        if n % groups:
            raise ValueError(f"{layer}: {name}={n} must be divisible by groups={groups}")
    return int(groups)


def padding_string(padding: Any, stride: tuple[int, ...], layer: str) -> bool:
    """True for "same" / "valid" (kept as strings: PyTorch's repr shows them), False for anything
    else (the caller parses ints); another string, or "same" with a stride > 1, a ValueError."""
    if not isinstance(padding, str):
        return False
    if padding not in ("same", "valid"):
        raise ValueError(f"{layer}: invalid padding string {padding!r}, should be one of ('valid', 'same')")
    if padding == "same" and any(s != 1 for s in stride):
        raise ValueError(
            f"{layer}: padding='same' is not supported for strided convolutions (stride {stride})"
        )
    return True


def padding_mode_option(mode: Any, layer: str) -> str:
    if mode not in PADDING_MODES:
        raise ValueError(f"{layer}: padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    return str(mode)


def conv_parameters(
    shape: tuple[int, ...], bias_size: int | None, dtype: Any
) -> tuple[Parameter, Parameter | None]:
    """A layer's weight of `shape` and bias of (bias_size,) (None: no bias), drawn as PyTorch
    draws them: the weight first, then the bias from the same U(±1/√fan_in)."""
    weight = Parameter(np.empty(shape, dtype=dtype))
    bias_param = None if bias_size is None else Parameter(np.empty(bias_size, dtype=dtype))
    reset_conv_parameters(weight, bias_param)
    return weight, bias_param


def reset_conv_parameters(weight: Tensor, bias: Tensor | None) -> None:
    """torch.nn's convolution init: weight kaiming_uniform_(a=√5) = U(±1/√fan_in), bias U(±1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        bound = 1 / math.sqrt(init.calculate_fan_in_and_fan_out(weight)[0])
        init.uniform_(bias, -bound, bound)


def check_channels(in_channels: Any, out_channels: Any, layer: str) -> tuple[int, int]:
    """Both channel counts as positive ints, else a ValueError naming `layer`."""
    for name, n in (("in_channels", in_channels), ("out_channels", out_channels)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"{layer}: {name} must be a positive int, got {n!r}")
    return int(in_channels), int(out_channels)


def conv_extra_repr(layer: Any) -> str:
    """PyTorch's _ConvNd.extra_repr: the settings that differ from their defaults, in its order."""
    text = (
        f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, stride={layer.stride}"
    )
    dims = len(layer.kernel_size)
    for name, default in (("padding", 0), ("dilation", 1), ("output_padding", 0)):
        value = getattr(layer, name, (default,) * dims)
        if value != (default,) * dims:
            text += f", {name}={value}"
    if layer.groups != 1:
        text += f", groups={layer.groups}"
    if layer.bias is None:
        text += ", bias=False"
    if layer.padding_mode != "zeros":
        text += f", padding_mode={layer.padding_mode}"
    return text
