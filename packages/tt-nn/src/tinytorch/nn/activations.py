"""Activations (forward: module 03, backward: module 05): Function, function and Module, side by side.

For each activation, in order: the autograd `Function` (`ReLUFunction`: its
forward and backward), the functional form (`relu`, re-exported by
`tinytorch.nn.functional`) that checks the input and applies the Function,
and the `Module` (`nn.ReLU`) that holds the options and calls the function.
One Function per activation rather than a composition of tt-core ops: one
graph node, one saved array, and a stable formula where the naive one
overflows (sigmoid and softmax at logits of ±1000). Module 03 writes the
forward halves, which run before autograd exists; module 05 the backward halves.

All keep the input's dtype and shape: (*) -> (*). `repr`s match PyTorch's,
e.g. `LeakyReLU(negative_slope=0.01)`.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.core import ArgumentError, Context, DimensionError, Function, Tensor
from tinytorch.nn.erf import erf
from tinytorch.nn.module import Module

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_GELU_TANH_COEF = 0.044715
GELU_APPROXIMATIONS = ("none", "tanh")


# ------------------------------------------------------------------- checks


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


def check_dim_0d(x: Tensor, dim: int, op: str) -> None:
    """A 0-d tensor takes dim 0 or -1, as PyTorch (it is treated as one element)."""
    if not isinstance(dim, (int, np.integer)) or dim not in (0, -1):
        kind = DimensionError if isinstance(dim, (int, np.integer)) else ValueError
        raise kind(f"{op}: dim {dim!r} is out of range for a 0-d tensor (expected -1 or 0)")


def check_approximate(approximate: str, op: str) -> str:
    if approximate not in GELU_APPROXIMATIONS:
        raise ArgumentError(f"{op}: approximate must be 'none' or 'tanh', got {approximate!r}")
    return approximate


# --------------------------------------------------------------------- ReLU


class ReLUFunction(Function):
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


def relu(x: Tensor) -> Tensor:
    """max(x, 0), elementwise. (*) -> (*)."""
    check_float(x, "relu")
    return ReLUFunction.apply(x)


class ReLU(Module):
    """max(x, 0). (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return relu(x)


# ---------------------------------------------------------------- LeakyReLU


class LeakyReLUFunction(Function):
    """x where x > 0, else negative_slope * x."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, negative_slope: float) -> np.ndarray:
        ### BEGIN SOLUTION 03
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        # max(x, a x) for a slope a <= 1, min(x, a x) above: np.where(x > 0, x, a x)'s values,
        # branch-free (np.where mispredicts a branch on every other element of random data)
        if negative_slope <= 1:
            return np.maximum(x, x * negative_slope)
        return np.minimum(x, x * negative_slope)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (x,) = ctx.saved_tensors
        slope = ctx.negative_slope
        positive = (x > 0).astype(grad.dtype)  # 1 where x > 0, else 0
        return grad * ((1 - slope) * positive + slope)  # the local slope: 1 or negative_slope
        ### END SOLUTION


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    """x if x > 0 else negative_slope * x, elementwise. (*) -> (*)."""
    check_float(x, "leaky_relu")
    return LeakyReLUFunction.apply(x, negative_slope=float(negative_slope))


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x. (*) -> (*)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x: Tensor) -> Tensor:
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


# ------------------------------------------------------------------ Sigmoid


def stable_sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) that never overflows: with e = exp(-|x|) in (0, 1], it is
    1 / (1 + e) for x >= 0 and e / (1 + e) for x < 0 (the same value, rearranged)."""
    ### BEGIN SOLUTION 03
    e = np.exp(-np.abs(x))  # (*), in (0, 1]: never overflows
    return np.where(x >= 0, 1, e) / (1 + e)  # (*): 1 / (1 + e) or e / (1 + e)
    ### END SOLUTION


def stable_sigmoid_inplace(x: np.ndarray) -> np.ndarray:
    """`stable_sigmoid` in place: the same values with two fresh arrays instead of five, and
    np.maximum instead of np.where (a select mispredicts on random signs). 1.5x faster for
    sigmoid forward + backward on 1M float32 (guide 03, section 3); tested equal to it."""
    e = np.asarray(np.abs(x))  # (arrays even for 0-d x: the in-place steps need them)
    np.negative(e, out=e)
    np.exp(e, out=e)  # exp(-|x|)
    r = np.asarray(e + 1)
    np.reciprocal(r, out=r)  # 1 / (1 + e)
    # the factor 1 (x >= 0) or e (x < 0), branch-free: max(e, 1) = 1, max(e, 0) = e
    np.maximum(e, x >= 0, out=e)
    r *= e
    return r


class SigmoidFunction(Function):
    """1 / (1 + exp(-x)), computed without overflow; saves its output."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 03
        out = stable_sigmoid_inplace(x)  # = stable_sigmoid(x), faster
        ctx.save_for_backward(out)
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (out,) = ctx.saved_tensors
        return grad * out * (1 - out)  # sigmoid' = sigmoid (1 - sigmoid)
        ### END SOLUTION


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x)), elementwise, stable for any x. (*) -> (*)."""
    check_float(x, "sigmoid")
    return SigmoidFunction.apply(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), stable for any x. (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return sigmoid(x)


# --------------------------------------------------------------------- Tanh


class TanhFunction(Function):
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


def tanh(x: Tensor) -> Tensor:
    """tanh(x), elementwise. (*) -> (*)."""
    check_float(x, "tanh")
    return TanhFunction.apply(x)


class Tanh(Module):
    """tanh(x). (*) -> (*)."""

    def forward(self, x: Tensor) -> Tensor:
        return tanh(x)


# --------------------------------------------------------------------- GELU


class GELUFunction(Function):
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


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """x · Φ(x), exact ("none", with erf) or the tanh approximation. (*) -> (*)."""
    check_float(x, "gelu")
    return GELUFunction.apply(x, approximate=check_approximate(approximate, "gelu"))


class GELU(Module):
    """x · Φ(x): exact with erf (approximate="none") or the tanh formula ("tanh"). (*) -> (*)."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = check_approximate(approximate, "GELU")

    def forward(self, x: Tensor) -> Tensor:
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


# ------------------------------------------------------ Softmax, LogSoftmax


class SoftmaxFunction(Function):
    """exp(x) / sum(exp(x)) along `dim`; shifted by the max so that exp never overflows."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, dim: int) -> np.ndarray:
        ### BEGIN SOLUTION 03
        # Softmax is unchanged by subtracting a constant along dim; after
        # subtracting the max, every exponent is <= 0 and exp(...) <= 1.
        e = np.exp(x - np.max(x, axis=dim, keepdims=True))
        out = e / np.sum(e, axis=dim, keepdims=True)
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


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    """exp(x) / sum(exp(x)) along `dim` (values in (0, 1], summing to 1). (*) -> (*)."""
    check_float(x, "softmax")
    if x.ndim == 0:  # PyTorch's one-element softmax: 1, with a zero gradient (through a (1,) view)
        check_dim_0d(x, dim, "softmax")
        return SoftmaxFunction.apply(x.reshape(1), dim=0).reshape(())
    return SoftmaxFunction.apply(x, dim=norm_dim(x, dim, "softmax"))


class Softmax(Module):
    """exp(x) / sum(exp(x)) along `dim`. (*) -> (*)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmaxFunction(Function):
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


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """log(softmax(x)) along `dim`, computed stably (log-sum-exp). (*) -> (*)."""
    check_float(x, "log_softmax")
    if x.ndim == 0:  # log of a one-element softmax: 0, with a zero gradient
        check_dim_0d(x, dim, "log_softmax")
        return LogSoftmaxFunction.apply(x.reshape(1), dim=0).reshape(())
    return LogSoftmaxFunction.apply(x, dim=norm_dim(x, dim, "log_softmax"))


class LogSoftmax(Module):
    """log(softmax(x)) along `dim`, computed stably. (*) -> (*)."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Tensor) -> Tensor:
        return log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"
