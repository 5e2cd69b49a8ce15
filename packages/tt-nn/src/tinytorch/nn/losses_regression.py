"""Regression losses beside MSE (given library code, issue 15): L1, smooth L1, Huber.

One Function covers the three: with d = input - target,
  smooth_l1(d; beta) = 0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta   (beta = 0: |d|)
  huber(d; delta)    = delta * smooth_l1(d; beta=delta)
  l1(d)              = smooth_l1(d; beta=0)
and the gradient clip(d / beta, -1, 1) (sign(d) for beta = 0, 0 at d = 0), as PyTorch's.
input and target: (*), the same shape and dtype (no broadcasting, as mse_loss here);
both get gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinytorch.core import ArgumentError, Context, Function, ShapeError, Tensor
from tinytorch.nn.losses import _Loss, check_reduction, check_same_shape, reduce


class SmoothL1(Function):
    """scale * smooth_l1(input - target; beta), elementwise. (*), (*) -> (*)."""

    @staticmethod
    def forward(ctx: Context, input: np.ndarray, target: np.ndarray, beta: float, scale: float) -> np.ndarray:
        d = input - target
        ad = np.abs(d)
        out = ad if beta == 0 else np.where(ad < beta, (0.5 / beta) * d * d, ad - 0.5 * beta)
        ctx.save_for_backward(d)
        ctx.options = (beta, scale)
        return (out * scale if scale != 1 else out).astype(input.dtype, copy=False)

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> tuple[Any, Any]:
        (d,) = ctx.saved_tensors
        beta, scale = ctx.options
        slope = np.sign(d) if beta == 0 else np.clip(d / beta, -1, 1)
        g = (grad * (scale * slope)).astype(grad.dtype, copy=False)
        need_input, need_target = ctx.needs_input_grad
        return (g if need_input else None), (-g if need_target else None)


def l1_loss(input: Tensor, target: Tensor, reduction: str = "mean") -> Tensor:
    """|input - target|, reduced. (*), (*)."""
    name = "l1_loss (L1Loss)"
    check_reduction(reduction, name)
    check_same_shape(input, target, name, ShapeError)
    return reduce(SmoothL1.apply(input, target, beta=0.0, scale=1.0), reduction)


def smooth_l1_loss(input: Tensor, target: Tensor, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """0.5 d^2 / beta where |d| < beta, else |d| - 0.5 beta (d = input - target), reduced. (*), (*)."""
    name = "smooth_l1_loss (SmoothL1Loss)"
    check_reduction(reduction, name)
    check_same_shape(input, target, name, ShapeError)
    if not beta >= 0:
        raise ArgumentError(
            f"{name}: beta must be >= 0 (smooth_l1_loss does not support negative values), got {beta}"
        )
    return reduce(SmoothL1.apply(input, target, beta=float(beta), scale=1.0), reduction)


def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta) (d = input - target), reduced. (*), (*)."""
    name = "huber_loss (HuberLoss)"
    check_reduction(reduction, name)
    check_same_shape(input, target, name, ShapeError)
    if not delta > 0:
        raise ArgumentError(
            f"{name}: delta must be > 0 (huber_loss does not support non-positive values), got {delta}"
        )
    return reduce(SmoothL1.apply(input, target, beta=float(delta), scale=float(delta)), reduction)


class L1Loss(_Loss):
    """mean(|input - target|). (*), (*)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return l1_loss(input, target, self.reduction)


class SmoothL1Loss(_Loss):
    """Quadratic below beta, linear above (PyTorch's SmoothL1Loss). (*), (*)."""

    def __init__(self, reduction: str = "mean", beta: float = 1.0) -> None:
        super().__init__(reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return smooth_l1_loss(input, target, self.reduction, self.beta)


class HuberLoss(_Loss):
    """Quadratic below delta, delta-linear above (PyTorch's HuberLoss). (*), (*)."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return huber_loss(input, target, self.reduction, self.delta)
