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
