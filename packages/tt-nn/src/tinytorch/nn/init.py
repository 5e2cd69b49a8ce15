"""Weight initialisation (module 04), with PyTorch's names, gains and fan conventions.

Every function fills a Tensor in place (outside any graph) and returns it,
drawing from tinytorch.core's global generator so that `manual_seed` makes
initialisation reproducible.

Fans follow PyTorch: for a weight of shape (out, in, *kernel), fan_in =
in · prod(kernel) and fan_out = out · prod(kernel). The point of the scaled
initialisers is to keep activations (kaiming, "fan_in") or gradients
("fan_out") at the same variance from layer to layer:

- xavier_*: Var(w) = gain² · 2 / (fan_in + fan_out)   (Glorot & Bengio, 2010)
- kaiming_*: Var(w) = gain² / fan                    (He et al., 2015)

and a uniform U(-b, b) has variance b² / 3, hence the √3 in the uniform versions.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.core import Tensor, generator

_LINEAR_LIKE = (
    "linear",
    "identity",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity: the factor by which it shrinks the
    standard deviation of its input, undone by scaling the weights before it.

    linear/conv/sigmoid: 1, tanh: 5/3, relu: √2, leaky_relu: √(2 / (1 + slope²))
    (slope = param, default 0.01), selu: 3/4.
    """
    ### BEGIN SOLUTION 04
    if nonlinearity in _LINEAR_LIKE:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        else:
            slope = param
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")
    ### END SOLUTION


def calculate_fan_in_and_fan_out(t: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel)."""
    if t.ndim < 2:
        raise ValueError(
            f"init: fan in and fan out cannot be computed for a tensor with fewer than 2 "
            f"dimensions (shape {t.shape})"
        )
    ### BEGIN SOLUTION 04
    receptive_field = math.prod(t.shape[2:])  # 1 for a Linear weight (out, in)
    return t.shape[1] * receptive_field, t.shape[0] * receptive_field
    ### END SOLUTION


def _fan(t: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    return fan_in if mode == "fan_in" else fan_out


def _draw_into(data: np.ndarray, kind: str) -> None:
    """Fill `data` with U[0, 1) or N(0, 1) samples in its own dtype, without a temporary
    array when it is contiguous (a float64 draw then a float32 copy costs 12 bytes per
    parameter at peak instead of 4)."""
    gen = generator()
    draw = gen.random if kind == "uniform" else gen.standard_normal
    if data.flags.c_contiguous and data.flags.writeable:
        draw(dtype=data.dtype, out=data)
    else:
        data[...] = draw(data.shape, dtype=data.dtype)


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0) -> Tensor:
    """Fill with U(a, b)."""
    ### BEGIN SOLUTION 04
    _draw_into(t.data, "uniform")  # U[0, 1), then stretched to [a, b) in place
    t.data *= b - a
    t.data += a
    return t
    ### END SOLUTION


def normal_(t: Tensor, mean: float = 0.0, std: float = 1.0) -> Tensor:
    """Fill with N(mean, std²)."""
    ### BEGIN SOLUTION 04
    _draw_into(t.data, "normal")
    t.data *= std
    t.data += mean
    return t
    ### END SOLUTION


def constant_(t: Tensor, val: float) -> Tensor:
    """Fill with `val`."""
    ### BEGIN SOLUTION 04
    t.data[...] = val
    return t
    ### END SOLUTION


def zeros_(t: Tensor) -> Tensor:
    return constant_(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    return constant_(t, 1.0)


def xavier_uniform_(t: Tensor, gain: float = 1.0) -> Tensor:
    """U(-b, b) with b = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    ### BEGIN SOLUTION 04
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound)
    ### END SOLUTION


def xavier_normal_(t: Tensor, gain: float = 1.0) -> Tensor:
    """N(0, std²) with std = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(t)
    ### BEGIN SOLUTION 04
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))
    ### END SOLUTION


def kaiming_uniform_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """U(-b, b) with b = gain · √(3 / fan); gain = calculate_gain(nonlinearity, a).

    nn.Linear uses a = √5, which gives b = 1 / √fan_in.
    """
    fan = _fan(t, mode)
    if t.size == 0:  # nothing to fill (and fan may be 0)
        return t
    ### BEGIN SOLUTION 04
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(t, -bound, bound)
    ### END SOLUTION


def kaiming_normal_(
    t: Tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Tensor:
    """N(0, std²) with std = gain / √fan; gain = calculate_gain(nonlinearity, a)."""
    fan = _fan(t, mode)
    if t.size == 0:
        return t
    ### BEGIN SOLUTION 04
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / math.sqrt(fan))
    ### END SOLUTION
