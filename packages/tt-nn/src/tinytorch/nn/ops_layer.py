"""The ops behind Linear and Dropout (forward: module 04, backward: module 05).

`linear_reference` is the readable version, `x @ W.T + b` in tt-core ops: its
gradient comes for free from the ops it is made of. The Function `Linear` (not
the Module `nn.Linear`, which calls it) is the fast path: one node that saves
x and W, whose backward computes dW = g^T x directly in W's (out, in) layout. The composed version pays for a
transposed view of W in the graph (its gradient arrives transposed and is
copied into W.grad) and for a separate broadcasting add; the module 04 guide
measures the two against each other (benchmarks/bench_nn.py).

`Dropout` saves the boolean keep-mask (1 byte per element), not a float one.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinytorch.core import Context, DTypeError, Function, ShapeError, Tensor, generator


class Linear(Function):
    """out = x @ W.T + b.  x: (*, in), W: (out, in), b: (out,) or None -> (*, out)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
        ### BEGIN SOLUTION 04
        ctx.save_for_backward(x, weight)
        # One 2-D GEMM over all batch positions: NumPy's N-D matmul against a 2-D
        # weight loops over the leading dimensions outside BLAS (~100x slower for (12, 64, 128)).
        n = math.prod(x.shape[:-1])  # N, not -1: a (5, 0) input has no size to infer N from
        out = x.reshape(n, x.shape[-1]) @ weight.T  # (N, in) @ (in, out) -> (N, out); W.T is a view
        if bias is not None:
            out += bias  # (out,) broadcasts over the batch; in place on the fresh result
        return out.reshape(*x.shape[:-1], weight.shape[0])  # (*, out)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        ### BEGIN SOLUTION 05
        x, weight = ctx.saved_tensors
        need_x, need_w, need_b = ctx.needs_input_grad
        n = math.prod(x.shape[:-1])  # N = all batch positions (explicit: in or out may be 0)
        g2 = grad.reshape(n, grad.shape[-1])  # (N, out)
        dx = (g2 @ weight).reshape(x.shape) if need_x else None  # (N, out) @ (out, in) -> (*, in)
        dw = g2.T @ x.reshape(n, x.shape[-1]) if need_w else None  # (out, N) @ (N, in)
        db = g2.sum(axis=0) if need_b else None  # (out,): the bias was used by every row
        return dx, dw, db
        ### END SOLUTION


def linear_reference(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """The readable linear layer in tt-core ops (teaching version and test oracle)."""
    ### BEGIN SOLUTION 04
    out = x @ weight.T
    return out if bias is None else out + bias
    ### END SOLUTION


class Dropout(Function):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, p: float) -> np.ndarray:
        ### BEGIN SOLUTION 04
        # Draw from tinytorch's global generator, so manual_seed() reproduces the masks.
        keep = generator().random(x.shape, dtype=x.dtype) >= p  # bool (*): 1 byte per element
        scale = 1 / (1 - p) if p < 1 else 0.0  # p = 1 drops everything
        ctx.save_for_backward(keep)
        ctx.scale = scale
        out = x * keep
        out *= scale  # expected value of each output = x: nothing to rescale in eval
        return out
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (keep,) = ctx.saved_tensors
        g = grad * keep
        g *= ctx.scale
        return g
        ### END SOLUTION


# ------------------------------------------------------------ functional API


def check_linear_args(x: Tensor, weight: Tensor, bias: Tensor | None, name: str, expected: str) -> None:
    """The checks of `linear`; `name` and `expected` word the errors (functional or a Linear module).

    Errors have PyTorch's types (tinytorch.core.errors): a non-float Tensor or mixed dtypes is a
    DTypeError, wrong features or bias shape a ShapeError (RuntimeError there, "mat1 and mat2").
    """
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        kind = DTypeError if isinstance(x, Tensor) else TypeError
        raise kind(f"{name}: expected a float32 or float64 input Tensor, got {got}")
    if x.ndim == 0:
        raise ShapeError(f"{name}: input is a 0-d tensor; expected shape (*, in_features)")
    if x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"{name}: input has {x.shape[-1]} features in its last dimension, {expected} "
            f"(input shape {x.shape})"
        )
    if x.dtype != weight.dtype:
        raise DTypeError(
            f"{name}: input has dtype {x.dtype} but the weight has {weight.dtype}; "
            "convert the input with .to(...) (tinytorch never converts silently)"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ShapeError(f"{name}: bias has shape {bias.shape}, expected ({weight.shape[0]},)")


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias.  x: (*, in), weight: (out, in), bias: (out,) -> (*, out)."""
    if weight.ndim != 2:
        raise ShapeError(f"linear: weight must be 2-D (out_features, in_features), got shape {weight.shape}")
    expected = f"but weight of shape {weight.shape} expects {weight.shape[1]}"
    check_linear_args(x, weight, bias, "linear", expected)
    return Linear.apply(x, weight, bias)


def check_dropout_p(p: float, name: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout in training (zero with probability p, scale by 1/(1-p)); identity otherwise.

    (*) -> (*). The mask is drawn from tinytorch.core's global generator.
    """
    p = check_dropout_p(p, "dropout")
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise TypeError("dropout: expected a float32 or float64 Tensor")
    if not training or p == 0:
        return x
    return Dropout.apply(x, p=p)
