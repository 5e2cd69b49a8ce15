"""The linear layer (forward: module 04, backward: module 05): y = x @ W.T + b.

- `linear_reference`: the readable version in tt-core ops; its gradient comes
  for free from the ops it is made of. The teaching version and test oracle.
- `LinearFunction` (behind `linear` and the `Linear` module): one graph node
  that saves x and W, whose backward computes dW = g^T x directly in W's
  (out, in) layout. The composed version pays for a transposed view of W in
  the graph (its gradient arrives transposed and is copied into W.grad) and
  for a separate broadcasting add; the module 04 guide measures the two
  against each other (benchmarks/bench_nn.py).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinytorch.core import Context, DTypeError, Function, ShapeError, Tensor, float32
from tinytorch.nn import init
from tinytorch.nn.module import Module, Parameter


def check_linear_args(x: Tensor, weight: Tensor, bias: Tensor | None, caller: object) -> None:
    """The checks of `linear` and `Linear`; errors start with `caller` (a name, or the layer,
    whose repr is formatted only on failure).

    Errors have PyTorch's types (tinytorch.core.errors): a non-float Tensor or mixed dtypes is a
    DTypeError, wrong features, weight or bias shape a ShapeError (RuntimeError there, "mat1 and mat2").
    """
    if (
        isinstance(x, Tensor)
        and x.dtype.kind == "f"
        and x.dtype == weight.dtype
        and weight.ndim == 2
        and x.ndim > 0
        and x.shape[-1] == weight.shape[1]
        and (bias is None or bias.shape == weight.shape[:1])
    ):
        return  # the usual case, checked without formatting any message
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        kind = DTypeError if isinstance(x, Tensor) else TypeError
        raise kind(f"{caller}: expected a float32 or float64 input Tensor, got {got}")
    if weight.ndim != 2:
        raise ShapeError(
            f"{caller}: weight must be 2-D (out_features, in_features), got shape {weight.shape}"
        )
    if x.ndim == 0:
        raise ShapeError(f"{caller}: input is a 0-d tensor; expected shape (*, in_features)")
    if x.shape[-1] != weight.shape[1]:
        raise ShapeError(
            f"{caller}: input has {x.shape[-1]} features in its last dimension, expected "
            f"{weight.shape[1]} for a weight of shape {weight.shape} (input shape {x.shape})"
        )
    if x.dtype != weight.dtype:
        raise DTypeError(
            f"{caller}: input has dtype {x.dtype} but the weight has {weight.dtype}; "
            "convert the input with .to(...) (tinytorch never converts silently)"
        )
    raise ShapeError(f"{caller}: bias has shape {bias.shape}, expected ({weight.shape[0]},)")  # type: ignore[union-attr]


class LinearFunction(Function):
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


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weight.T + bias.  x: (*, in), weight: (out, in), bias: (out,) -> (*, out)."""
    check_linear_args(x, weight, bias, "linear")
    return LinearFunction.apply(x, weight, bias)


class Linear(Module):
    """y = x @ weight.T + bias.  x: (*, in_features) -> y: (*, out_features).

    weight: (out_features, in_features), as PyTorch, so state dicts are
    interchangeable. Initialised as PyTorch does: weight by
    kaiming_uniform_(a=√5), i.e. U(-1/√in, 1/√in), and bias U(-1/√in, 1/√in),
    both from tinytorch.core's global generator (`manual_seed` reproduces them).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, dtype: Any = float32) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
                negative = isinstance(n, (int, np.integer)) and n < 0  # PyTorch: RuntimeError, as empty()
                raise (ShapeError if negative else ValueError)(
                    f"Linear: {name} must be a non-negative int, got {n!r}"
                )
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        ### BEGIN SOLUTION 04
        self.weight = Parameter(np.empty((self.out_features, self.in_features), dtype=dtype))
        self.bias = Parameter(np.empty(self.out_features, dtype=dtype)) if bias else None
        self.reset_parameters()
        ### END SOLUTION

    def reset_parameters(self) -> None:
        """Draw fresh weights (weight first, then bias, as PyTorch)."""
        ### BEGIN SOLUTION 04
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # = U(-1/sqrt(in), 1/sqrt(in))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound)
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        check_linear_args(x, self.weight, self.bias, self)
        return LinearFunction.apply(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        bias = self.bias is not None
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={bias}"
