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
    ### BEGIN SOLUTION 12
    if max_norm < 0:
        raise ValueError(f"clip_grad_norm_: invalid max_norm={max_norm!r} (expected max_norm >= 0)")
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: invalid norm_type={norm_type!r} (expected norm_type > 0)")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = [p.grad.data for p in params if p.grad is not None]
    if not grads:
        return 0.0
    norm_type = float(norm_type)
    # per-parameter norms (float64 accumulation), then the norm of those norms
    if math.isinf(norm_type):
        norms = [float(np.max(np.abs(g))) if g.size else 0.0 for g in grads]
        total = max(norms)
    else:
        # ord 2 of a contiguous gradient is sqrt(dot(g, g)): no temporary array
        norms = [float(np.linalg.norm(g.ravel(), ord=norm_type)) for g in grads]
        total = float(np.linalg.norm(np.array(norms), ord=norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} is {total}; "
            "set error_if_nonfinite=False to clip anyway"
        )
    coef = min(1.0, max_norm / (total + 1e-6))
    if coef < 1.0:
        for g in grads:
            g *= coef
    return total
    ### END SOLUTION
