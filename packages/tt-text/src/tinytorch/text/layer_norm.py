"""LayerNorm (module 14): y = (x - mean) / sqrt(var + eps) * weight + bias.

Mean and (biased) variance over the last `n` axes, as torch.nn.LayerNorm.

- `layer_norm_reference`: composed from tt-core ops, five or six nodes each
  saving its own arrays; the teaching version and the oracle.
- `layer_norm` / `LayerNormFunction`: one node saving x̂ (the normalised input,
  one array like x) and 1/σ per row, with the exact gradient written out::

      dx̂ = dy · w
      dx  = (dx̂ - mean(dx̂) - x̂ · mean(dx̂ · x̂)) / σ      (means over the normalised axes)
      dw  = Σ_rows dy · x̂,   db = Σ_rows dy

- `LayerNorm`: the module, weight 1 and bias 0 at start.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinytorch.core import Context, DTypeError, Function, ShapeError, Tensor, float32
from tinytorch.nn import Module, Parameter


def _normalized_shape(shape: int | Sequence[int]) -> tuple[int, ...]:
    dims = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if not dims or any(isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n <= 0 for n in dims):
        negative = any(isinstance(n, (int, np.integer)) and n < 0 for n in dims)  # PyTorch: RuntimeError
        raise (ShapeError if negative else ValueError)(
            f"LayerNorm: normalized_shape must be a positive int or tuple of them, got {shape!r}"
        )
    return tuple(int(n) for n in dims)


def check_layer_norm_args(
    x: Tensor, normalized_shape: int | Sequence[int], weight: Any, name: str
) -> tuple[int, ...]:
    """normalized_shape as a tuple, checked against x and the weight. As PyTorch: an input that
    does not end with normalized_shape is a ShapeError, a non-float input or a weight of another
    dtype a DTypeError (both RuntimeError there)."""
    normalized_shape = _normalized_shape(normalized_shape)
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        kind = DTypeError if isinstance(x, Tensor) else TypeError
        raise kind(f"{name}: expected a float32 or float64 Tensor, got {got}")
    n = len(normalized_shape)
    if x.shape[x.ndim - n :] != normalized_shape or x.ndim < n:
        raise ShapeError(
            f"{name}: input of shape {x.shape} does not end with normalized_shape {normalized_shape}"
        )
    if weight is not None and weight.dtype != x.dtype:
        raise DTypeError(
            f"{name}: input is {x.dtype} but the weight is {weight.dtype}; convert with .to(...)"
        )
    return normalized_shape


class LayerNormFunction(Function):
    """x: (*, *normalized_shape), weight, bias: normalized_shape or None -> like x.

    Works on x viewed as (rows, N), N = prod(normalized_shape).
    """

    @staticmethod
    def forward(
        ctx: Context,
        x: np.ndarray,
        weight: np.ndarray | None,
        bias: np.ndarray | None,
        n_axes: int,
        eps: float,
    ) -> np.ndarray:
        ### BEGIN SOLUTION 14
        normalized_shape = x.shape[x.ndim - n_axes :]
        x2 = x.reshape(-1, int(np.prod(normalized_shape)))  # (rows, N)
        centered = x2 - x2.mean(axis=1, keepdims=True)
        rstd = 1.0 / np.sqrt((centered * centered).mean(axis=1, keepdims=True) + eps)  # (rows, 1): 1/σ
        xhat = centered * rstd  # (rows, N)
        ctx.save_for_backward(xhat, rstd, weight)
        ctx.shapes = (x.shape, normalized_shape)
        out = xhat * weight.reshape(-1) if weight is not None else xhat.copy()
        if bias is not None:
            out = out + bias.reshape(-1)
        return out.reshape(x.shape)
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, ...]:
        ### BEGIN SOLUTION 14
        xhat, rstd, weight = ctx.saved_tensors
        x_shape, normalized_shape = ctx.shapes
        need_x, need_w, need_b = ctx.needs_input_grad[:3]
        dy = grad.reshape(xhat.shape)  # (rows, N)
        dw = (dy * xhat).sum(axis=0).reshape(normalized_shape) if need_w else None  # Σ_rows dy · x̂
        db = dy.sum(axis=0).reshape(normalized_shape) if need_b else None  # Σ_rows dy
        dx = None
        if need_x:
            dxhat = dy * weight.reshape(-1) if weight is not None else dy  # (rows, N)
            mean_dxhat = dxhat.mean(axis=1, keepdims=True)  # (rows, 1)
            mean_dxhat_xhat = (dxhat * xhat).mean(axis=1, keepdims=True)  # (rows, 1)
            dx = ((dxhat - mean_dxhat - xhat * mean_dxhat_xhat) * rstd).reshape(x_shape)
        return dx, dw, db
        ### END SOLUTION


def layer_norm(
    x: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last len(normalized_shape) axes, then scale and shift (one node).

    x: (*, *normalized_shape); weight, bias: normalized_shape or None -> like x.
    """
    shape = check_layer_norm_args(x, normalized_shape, weight, "layer_norm")
    return LayerNormFunction.apply(x, weight, bias, n_axes=len(shape), eps=float(eps))


def layer_norm_reference(
    x: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """The readable LayerNorm in tt-core ops (teaching version and test oracle); same contract."""
    shape = check_layer_norm_args(x, normalized_shape, weight, "layer_norm")
    ### BEGIN SOLUTION 14
    axes = tuple(range(x.ndim - len(shape), x.ndim))
    centered = x - x.mean(axis=axes, keepdims=True)
    var = (centered * centered).mean(axis=axes, keepdims=True)  # biased, as PyTorch normalises
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out
    ### END SOLUTION


class LayerNorm(Module):
    """LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True), as torch.nn.LayerNorm.

    (*, *normalized_shape) -> same shape; weight starts at 1, bias at 0.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        dtype: Any = float32,
    ) -> None:
        super().__init__()
        self.normalized_shape = _normalized_shape(normalized_shape)
        self.eps = float(eps)
        self.elementwise_affine = elementwise_affine
        ### BEGIN SOLUTION 14
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = (
            Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine and bias else None
        )
        ### END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
