"""Gradient clipping by total norm (module 12), as `torch.nn.utils.clip_grad_norm_`."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

from tinytorch.core import Tensor


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> float:
    """Scale all gradients together so that their total norm is at most `max_norm`.

    The total norm is the `norm_type`-norm of the vector of every gradient
    element (equivalently, of the per-parameter norms); `float("inf")` gives the
    largest absolute element. Gradients are multiplied in place by
    `min(1, max_norm / (total + 1e-6))`, PyTorch's rule. Parameters without a
    gradient are skipped. Returns the total norm *before* clipping, as a Python
    float (PyTorch returns a 0-d tensor).

    Raises ValueError for max_norm < 0 or norm_type <= 0, and RuntimeError for a
    non-finite total norm when `error_if_nonfinite`.
    """
    grads = _gradients(parameters, max_norm, norm_type)  # checked arguments; each .grad array
    ### BEGIN SOLUTION 12
    if not grads:
        return 0.0
    # the norm of the per-parameter norms is the norm of all gradient elements together
    norms = [float(np.linalg.norm(g.ravel(), ord=norm_type)) for g in grads]
    total = float(np.linalg.norm(np.array(norms), ord=norm_type))
    _check_finite(total, norm_type, error_if_nonfinite)
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for g in grads:
            g *= coef  # in place: the parameters' .grad
    return total
    ### END SOLUTION


def _gradients(parameters: Iterable[Tensor] | Tensor, max_norm: float, norm_type: float) -> list[np.ndarray]:
    """The gradient arrays of `parameters` that exist and hold elements (an empty one adds
    nothing to any norm), after checking `max_norm` and `norm_type`."""
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: invalid max_norm={max_norm!r} (expected max_norm >= 0)")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: invalid norm_type={norm_type!r} (expected norm_type > 0)")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad.data for p in params if p.grad is not None and p.grad.data.size]


def _check_finite(total: float, norm_type: float, error_if_nonfinite: bool) -> None:
    """PyTorch's error for a NaN or infinite total norm, when asked for."""
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {float(norm_type)} is {total}; "
            "set error_if_nonfinite=False to clip anyway"
        )
