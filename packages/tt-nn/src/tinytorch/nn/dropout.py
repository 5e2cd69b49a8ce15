"""Dropout (forward: module 04, backward: module 05): Function, function and Module.

Inverted dropout: in training, zero each element with probability p and
scale the survivors by 1 / (1 - p) (`dropout_scale`), so that each output's
expected value is its input and evaluation needs no rescaling; in eval mode
it is the identity. `DropoutFunction` saves the boolean keep-mask (1 byte per
element), not a float one. Attention's dropout (tt-text) uses the same
`check_dropout_p` and `dropout_scale`.
"""

from __future__ import annotations

import numpy as np

from tinytorch.core import Context, Function, Tensor, generator
from tinytorch.nn.module import Module


def check_dropout_p(p: float, name: str) -> float:
    """p as a float in [0, 1], or a ValueError naming `name` (PyTorch's type and wording)."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout_scale(p: float) -> float:
    """The survivors' factor 1 / (1 - p); 0 for p = 1, which drops everything."""
    return 1 / (1 - p) if p < 1 else 0.0


class DropoutFunction(Function):
    """Inverted dropout: zero each element with probability p, scale the rest by 1/(1-p)."""

    @staticmethod
    def forward(ctx: Context, x: np.ndarray, p: float) -> np.ndarray:
        ### BEGIN SOLUTION 04
        # Draw from tinytorch's global generator, so manual_seed() reproduces the masks.
        keep = generator().random(x.shape, dtype=x.dtype) >= p  # bool (*): 1 byte per element
        ctx.save_for_backward(keep)
        ctx.scale = dropout_scale(p)
        return x * keep * ctx.scale  # (*); expected value = x: nothing to rescale in eval
        ### END SOLUTION

    @staticmethod
    def backward(ctx: Context, grad: np.ndarray) -> np.ndarray:
        ### BEGIN SOLUTION 05
        (keep,) = ctx.saved_tensors
        return grad * keep * ctx.scale  # (*): the same mask and scale as forward
        ### END SOLUTION


def dropout(x: Tensor, p: float = 0.5, training: bool = True) -> Tensor:
    """Inverted dropout in training (zero with probability p, scale by 1/(1-p)); identity otherwise.

    (*) -> (*). The mask is drawn from tinytorch.core's global generator.
    """
    p = check_dropout_p(p, "dropout")
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise TypeError("dropout: expected a float32 or float64 Tensor")
    if not training or p == 0:
        return x
    return DropoutFunction.apply(x, p=p)


class Dropout(Module):
    """Inverted dropout with probability p in training mode; the identity in eval mode. (*) -> (*)."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        self.p = check_dropout_p(p, "Dropout")

    def forward(self, x: Tensor) -> Tensor:
        return dropout(x, self.p, self.training)

    def extra_repr(self) -> str:
        return f"p={self.p}"
