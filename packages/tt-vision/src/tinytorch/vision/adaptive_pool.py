"""Adaptive average pooling (given library code): a fixed output size whatever the input's.

Output row i averages input rows [floor(i·H/OH), ceil((i+1)·H/OH)), PyTorch's rule (windows may
overlap by one row or differ in size by one), and columns the same way. Averaging a rectangle
is averaging its rows, then its columns, so the whole op is two small matrix products:

    out = R @ x @ Cᵀ        R (OH, H): R[i, h] = 1/len(window i) on window i's rows, else 0
    dx  = Rᵀ @ g @ C         (C (OW, W) the same for columns)

over the last two axes of a (B, C, H, W) or unbatched (C, H, W) input, as PyTorch takes both.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, Context, DTypeError, Function, ShapeError, Tensor
from tinytorch.nn import Module


def adaptive_weights(size: int, out: int, dtype: np.dtype) -> np.ndarray:
    """(out, size) averaging matrix: row i is 1/n on the n input positions of window i
    [floor(i·size/out), ceil((i+1)·size/out)), 0 elsewhere."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)  # ceil division in integers
    position = np.arange(size)
    inside = (position >= start[:, None]) & (position < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


class AdaptiveAvgPool2dFunction(Function):
    """x: (*, H, W), rows (OH, H), cols (OW, W) -> rows @ x @ colsᵀ, (*, OH, OW)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        ctx.save_for_backward(rows, cols)
        return rows @ (x @ cols.T)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        rows, cols = ctx.saved_tensors
        return rows.T @ (grad @ cols)


def adaptive_output_size(output_size: Any, name: object) -> tuple[int | None, int | None]:
    """An int, or a pair of ints or None (None: the input's size), each >= 0, as (oh, ow)."""
    items = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size, output_size)
    ok = len(items) == 2 and all(
        v is None or (isinstance(v, (int, np.integer)) and not isinstance(v, bool)) for v in items
    )
    if not ok:
        raise TypeError(f"{name}: output_size must be an int or a pair of ints or None, got {output_size!r}")
    if any(v is not None and v < 0 for v in items):
        raise ArgumentError(f"{name}: output_size must be non-negative, got {output_size!r}")
    return (None if items[0] is None else int(items[0]), None if items[1] is None else int(items[1]))


def check_adaptive_args(x: Any, output_size: Any, name: object) -> tuple[int, int]:
    """The output (OH, OW) of an adaptive pooling call, after checking its input as PyTorch: a
    float (C, H, W) or (B, C, H, W) Tensor, none of C, H, W empty."""
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        got = x.dtype if isinstance(x, Tensor) else type(x).__name__
        raise (DTypeError if isinstance(x, Tensor) else TypeError)(
            f"{name}: expected a float32 or float64 input Tensor, got {got}"
        )
    if x.ndim not in (3, 4):
        raise ShapeError(f"{name}: expected a 3-D (C, H, W) or 4-D (B, C, H, W) input, got shape {x.shape}")
    if min(x.shape[-3:]) == 0:
        raise ShapeError(
            f"{name}: expected an input with non-zero channels, height and width, got shape {x.shape}"
        )
    oh, ow = adaptive_output_size(output_size, name)
    return (x.shape[-2] if oh is None else oh, x.shape[-1] if ow is None else ow)


def adaptive_avg_pool2d(x: Tensor, output_size: Any) -> Tensor:
    """Average over PyTorch's adaptive windows: (B, C, H, W) -> (B, C, OH, OW), or (C, H, W) ->
    (C, OH, OW). output_size: an int or an (OH, OW) pair, None keeping the input's size."""
    return adaptive_pool(x, output_size, "adaptive_avg_pool2d")


def adaptive_pool(x: Tensor, output_size: Any, caller: object) -> Tensor:
    """Check and apply (errors start with `caller`, a function's name or the layer)."""
    oh, ow = check_adaptive_args(x, output_size, caller)
    h, w = x.shape[-2:]
    rows, cols = adaptive_weights(h, oh, x.dtype), adaptive_weights(w, ow, x.dtype)
    return AdaptiveAvgPool2dFunction.apply(x, rows=rows, cols=cols)


class AdaptiveAvgPool2d(Module):
    """AdaptiveAvgPool2d(output_size), as torch.nn.AdaptiveAvgPool2d: (B, C, H, W) -> (B, C, OH, OW)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        adaptive_output_size(output_size, type(self).__name__)
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        return adaptive_pool(x, self.output_size, self)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
