"""More activations (given library code, issue 15): SiLU, Softplus, ELU, Hardtanh, ReLU6.

The same layout as activations.py: the autograd `Function` (forward and backward
side by side), the functional form (re-exported by `tinytorch.nn.functional` under
PyTorch's name) and the `Module` with PyTorch's options and `repr`. All keep the
input's dtype and shape: (*) -> (*). The values and the gradients at the kinks
(x = 0 for ELU, the clip bounds for Hardtanh) are PyTorch's.
"""

from __future__ import annotations

import numpy as np

from tinytorch.core import ArgumentError, Context, Function, Tensor
from tinytorch.nn.activations import check_dim_0d, check_float, norm_dim, stable_sigmoid
from tinytorch.nn.module import Module

# ---------------------------------------------------------------------- SiLU


class SiLUFunction(Function):
    """x · sigmoid(x) (a.k.a. swish); saves x and sigmoid(x)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray) -> np.ndarray:
        s = stable_sigmoid(x)
        ctx.save_for_backward(x, s)
        return x * s

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        x, s = ctx.saved_tensors
        return grad * (s * (1 + x * (1 - s)))  # d/dx x s(x) = s + x s (1 - s)


def silu(input: Tensor) -> Tensor:
    """x · sigmoid(x), elementwise. (*) -> (*)."""
    check_float(input, "silu")
    return SiLUFunction.apply(input)


class SiLU(Module):
    """x · sigmoid(x). (*) -> (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return silu(input)


# ------------------------------------------------------------------ Softplus


class SoftplusFunction(Function):
    """log(1 + exp(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, beta: float, threshold: float) -> np.ndarray:
        z = x * beta
        # log(1 + e^z) = max(z, 0) + log(1 + e^-|z|): never overflows, whatever the threshold
        soft = (np.maximum(z, 0) + np.log1p(np.exp(-np.abs(z)))) / beta
        ctx.save_for_backward(z)
        ctx.threshold = threshold
        return np.where(z > threshold, x, soft).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (z,) = ctx.saved_tensors
        return grad * np.where(z > ctx.threshold, 1, stable_sigmoid(z)).astype(grad.dtype, copy=False)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(beta x)) / beta, linear (x) where beta x > threshold. (*) -> (*)."""
    check_float(input, "softplus")
    return SoftplusFunction.apply(input, beta=float(beta), threshold=float(threshold))


class Softplus(Module):
    """log(1 + exp(beta x)) / beta, linear above the threshold. (*) -> (*)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold  # as given: repr as PyTorch's

    def forward(self, input: Tensor) -> Tensor:
        return softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


# ----------------------------------------------------------------------- ELU


class ELUFunction(Function):
    """x where x > 0, else alpha (exp(x) - 1). Gradient at x = 0: alpha (PyTorch's branch)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, alpha: float) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.alpha = alpha
        # expm1 of min(x, 0): exact near 0, and no overflow for the large x it does not use
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0))).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        local = np.where(x > 0, 1, ctx.alpha * np.exp(np.minimum(x, 0)))
        return grad * local.astype(grad.dtype, copy=False)


def elu(input: Tensor, alpha: float = 1.0) -> Tensor:
    """x if x > 0 else alpha (exp(x) - 1), elementwise. (*) -> (*)."""
    check_float(input, "elu")
    return ELUFunction.apply(input, alpha=float(alpha))


class ELU(Module):
    """x if x > 0 else alpha (exp(x) - 1). (*) -> (*)."""

    def __init__(self, alpha: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha

    def forward(self, input: Tensor) -> Tensor:
        return elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


# ------------------------------------------------------------ Hardtanh, ReLU6


class HardtanhFunction(Function):
    """x clipped to [min_val, max_val]; the gradient passes strictly inside (0 at the bounds)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, min_val: float, max_val: float) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.bounds = (min_val, max_val)
        return np.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        lo, hi = ctx.bounds
        return grad * ((x > lo) & (x < hi))


def check_bounds(min_val: float, max_val: float, op: str) -> tuple[float, float]:
    if min_val > max_val:
        raise ValueError(f"{op}: min_val cannot be greater than max_val, got {min_val} > {max_val}")
    return float(min_val), float(max_val)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    """x clipped to [min_val, max_val], elementwise. (*) -> (*)."""
    check_float(input, "hardtanh")
    lo, hi = check_bounds(min_val, max_val, "hardtanh")
    return HardtanhFunction.apply(input, min_val=lo, max_val=hi)


def relu6(input: Tensor) -> Tensor:
    """min(max(x, 0), 6) = hardtanh(x, 0, 6). (*) -> (*)."""
    check_float(input, "relu6")
    return HardtanhFunction.apply(input, min_val=0.0, max_val=6.0)


class Hardtanh(Module):
    """x clipped to [min_val, max_val]. (*) -> (*)."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0) -> None:
        super().__init__()
        check_bounds(min_val, max_val, "Hardtanh")
        self.min_val, self.max_val = min_val, max_val

    def forward(self, input: Tensor) -> Tensor:
        return hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Module):
    """min(max(x, 0), 6). (*) -> (*)."""

    def forward(self, input: Tensor) -> Tensor:
        return relu6(input)


# ----------------------------------------------------------------- normalize


def normalize(input: Tensor, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Tensor:
    """input / max(||input||_p along dim, eps), as torch.nn.functional.normalize. (*) -> (*).

    Composed from tt-core's norm and clip (PyTorch's own definition): where the norm is
    below eps the gradient is grad / eps, as PyTorch's.
    """
    check_float(input, "normalize")
    if not isinstance(dim, (int, np.integer)):
        raise ArgumentError(f"normalize: dim must be an int, got {dim!r}")
    if input.ndim == 0:  # PyTorch: a 0-d tensor is its own dim 0 (or -1)
        check_dim_0d(input, dim, "normalize")
        return input / input.norm(p).clip(min=eps)
    axis = norm_dim(input, dim, "normalize")
    return input / input.norm(p, dim=axis, keepdim=True).clip(min=eps)
