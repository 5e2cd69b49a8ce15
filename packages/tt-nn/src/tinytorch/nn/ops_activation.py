"""Activation functions as autograd Functions (forward: module 03, backward: module 05).

Each activation is one `Function` with its forward and backward side by side,
rather than a composition of tt-core ops: one node instead of several, one
saved array instead of one per step, and a numerically stable formula where
the naive composition overflows (sigmoid and softmax at logits of ±1000).
Module 03 writes the forward halves, which run before autograd exists;
module 05 comes back to write the backward halves.

All of them keep the input's dtype and shape: (*) -> (*). The Functions carry
PyTorch's module names (`ReLU`, `Softmax`, so `grad_fn` reads `<ReLUBackward>`);
the Modules of the same names, in activations.py, wrap the functions below.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.core import ArgumentError, Context, DimensionError, Function, Tensor
from tinytorch.nn.erf import erf

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_TANH_COEF = 0.044715


class ReLU(Function):
    """max(x, 0). Saves its output: the gradient passes where out > 0 (0 at x = 0, as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 03
        out = np.maximum(x, 0)
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        return grad * (out > 0)
        ### END SOLUTION


class LeakyReLU(Function):
    """x where x > 0, else negative_slope * x."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, negative_slope: float) -> np.ndarray:
        ### BEGIN SOLUTION 03
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        out = np.asarray(x * negative_slope)  # (an array even for 0-d x: out= needs one)
        # max(x, a x) for a slope <= 1, min(x, a x) above 1: branch-free, unlike
        # np.where, which mispredicts a branch on every other element of random data.
        if negative_slope <= 1:
            return np.maximum(out, x, out=out)
        return np.minimum(out, x, out=out)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (x,) = ctx.saved_tensors
        slope = ctx.negative_slope
        local = np.asarray(x > 0).astype(grad.dtype)  # 1 where x > 0, else 0 ...
        local *= 1 - slope
        local += slope  # ... now 1 where x > 0, else the slope
        local *= grad
        return local
        ### END SOLUTION


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) that never overflows: with e = exp(-|x|) in (0, 1], it is
    1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0 (the same value, rearranged)."""
    ### BEGIN SOLUTION 03
    e = np.asarray(np.abs(x))  # (arrays even for 0-d x: the in-place steps need them)
    np.negative(e, out=e)
    np.exp(e, out=e)  # exp(-|x|)
    r = np.asarray(e + 1)
    np.reciprocal(r, out=r)  # 1 / (1 + e)
    # the factor 1 (x >= 0) or e (x < 0), branch-free: max(e, 1) = 1, max(e, 0) = e
    np.maximum(e, x >= 0, out=e)
    r *= e
    return r
    ### END SOLUTION


class Sigmoid(Function):
    """1 / (1 + exp(-x)), computed without overflow; saves its output."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 03
        out = stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)  # sigmoid' = sigmoid (1 - sigmoid)
        ### END SOLUTION


class Tanh(Function):
    """tanh(x); saves its output."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 03
        out = np.tanh(x)
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        return grad * (1 - out * out)  # tanh' = 1 - tanh^2
        ### END SOLUTION


class GELU(Function):
    """x · Φ(x), Φ the standard normal CDF: exactly with erf ("none"), or the tanh formula ("tanh").

    The exact form saves Φ(x) beside x: one more array in the graph, but erf
    (the expensive part, see erf.py) runs once per step instead of twice.
    """

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, approximate: str) -> np.ndarray:
        ### BEGIN SOLUTION 03
        ctx.approximate = approximate
        if approximate == "tanh":
            ctx.save_for_backward(x)
            inner = _SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x * x * x)
            return 0.5 * x * (1 + np.tanh(inner))
        cdf = 0.5 * (1 + erf(x * _INV_SQRT_2))  # Φ(x)
        ctx.save_for_backward(x, cdf)
        return x * cdf
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        if ctx.approximate == "tanh":
            (x,) = ctx.saved_tensors
            t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x * x * x))
            d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_COEF * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)
        x, cdf = ctx.saved_tensors
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)  # φ(x)
        return grad * (cdf + x * pdf)  # d/dx x Φ(x) = Φ(x) + x φ(x)
        ### END SOLUTION


class Softmax(Function):
    """exp(x) / sum(exp(x)) along `dim`; shifted by the max so that exp never overflows."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dim: int) -> np.ndarray:
        ### BEGIN SOLUTION 03
        # Softmax is unchanged by subtracting a constant along dim; after
        # subtracting the max, every exponent is <= 0 and exp(...) <= 1.
        out = x - np.max(x, axis=dim, keepdims=True)
        np.exp(out, out=out)  # in place: one new array for the whole forward
        out /= np.sum(out, axis=dim, keepdims=True)
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        # The Jacobian is diag(s) - s s^T; applied to grad without building it:
        # s * (g - <g, s>) along dim.
        return out * (grad - np.sum(grad * out, axis=ctx.dim, keepdims=True))
        ### END SOLUTION


class LogSoftmax(Function):
    """x - log(sum(exp(x))) along `dim`, by the log-sum-exp trick (stable at any scale)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dim: int) -> np.ndarray:
        ### BEGIN SOLUTION 03
        out = x - np.max(x, axis=dim, keepdims=True)  # shifted: every entry <= 0
        out -= np.log(np.sum(np.exp(out), axis=dim, keepdims=True))  # log-sum-exp of the shifted values
        ctx.save_for_backward(out)
        ctx.dim = dim
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        # d out_i / d x_j = [i == j] - softmax_j, and softmax = exp(out).
        return grad - np.exp(out) * np.sum(grad, axis=ctx.dim, keepdims=True)
        ### END SOLUTION


# ------------------------------------------------------------ functional API


def check_float(x: Tensor, op: str) -> None:
    """Activations and losses take floating-point Tensors."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.dtype.kind != "f":
        raise TypeError(f"{op}: expected a float32 or float64 Tensor, got dtype {x.dtype}")


def norm_dim(x: Tensor, dim: int, op: str) -> int:
    """`dim` as a non-negative axis of x (which must have at least one dimension)."""
    if x.ndim == 0:
        raise ValueError(f"{op}: needs a tensor with at least 1 dimension, got a 0-d tensor")
    if not isinstance(dim, (int, np.integer)) or not -x.ndim <= dim < x.ndim:
        # an int out of range is PyTorch's IndexError ("Dimension out of range")
        kind = DimensionError if isinstance(dim, (int, np.integer)) else ValueError
        raise kind(f"{op}: dim {dim!r} is out of range for a tensor of shape {x.shape}")
    return int(dim) % x.ndim


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise. (*) -> (*)."""
    check_float(x, "relu")
    return ReLU.apply(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x, elementwise. (*) -> (*)."""
    check_float(x, "leaky_relu")
    return LeakyReLU.apply(x, negative_slope=float(negative_slope))


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, stable for any x. (*) -> (*)."""
    check_float(x, "sigmoid")
    return Sigmoid.apply(x)


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise. (*) -> (*)."""
    check_float(x, "tanh")
    return Tanh.apply(x)


GELU_APPROXIMATIONS = ("none", "tanh")


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x · Φ(x), exact ("none", with erf) or the tanh approximation. (*) -> (*)."""
    check_float(x, "gelu")
    if approximate not in GELU_APPROXIMATIONS:
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(x, approximate=approximate)


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (values in (0, 1], summing to 1). (*) -> (*)."""
    check_float(x, "softmax")
    return Softmax.apply(x, dim=norm_dim(x, dim, "softmax"))


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably (log-sum-exp). (*) -> (*)."""
    check_float(x, "log_softmax")
    return LogSoftmax.apply(x, dim=norm_dim(x, dim, "log_softmax"))
