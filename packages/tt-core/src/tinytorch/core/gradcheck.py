"""Numerical gradient checking (module 05).

`gradcheck(fn, *inputs)` compares autograd's gradients with central finite
differences, (f(x + eps) - f(x - eps)) / (2 eps), for every element of every
input that requires grad. A non-scalar output is reduced to the scalar
sum(fn(x) * w) with fixed random weights w, so every output element takes part
and a wrong Jacobian entry cannot hide behind a plain sum.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tinytorch.core.autograd import no_grad
from tinytorch.core.tensor import Tensor, float64


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree (or are not finite)."""


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    seed: int = 0,
) -> bool:
    """Check fn's gradients w.r.t. every input that requires grad; True or GradcheckError.

    Inputs must be float64 (float32's 7 digits drown a finite difference in
    rounding error). They are perturbed in place, one element at a time, and
    restored; their `.grad` is left as it was.
    """
    checked = _checked_inputs(inputs)  # (index, tensor) of each input that requires grad
    out = fn(*inputs)
    _check_output(out)
    weights = np.random.default_rng(seed).standard_normal(out.shape)  # like out
    analytic = _analytic_grads(out, weights, [x for _, x in checked])  # d sum(out * w) / dx
    ### BEGIN SOLUTION 05

    def loss() -> float:
        with no_grad():
            return float(np.sum(fn(*inputs).data * weights))

    for (i, x), grad in zip(checked, analytic, strict=True):
        for idx in np.ndindex(x.shape):
            original = x.data[idx]
            x.data[idx] = original + eps
            plus = loss()
            x.data[idx] = original - eps
            minus = loss()
            x.data[idx] = original
            numeric = (plus - minus) / (2 * eps)
            a = grad[idx]
            if not (np.isfinite(a) and np.isfinite(numeric)) or abs(a - numeric) > atol + rtol * abs(numeric):
                raise GradcheckError(
                    f"gradcheck: input {i} (shape {x.shape}), element {idx}: "
                    f"analytic {a!r} vs numeric {numeric!r} (tolerance atol={atol}, rtol={rtol})"
                )
    return True
    ### END SOLUTION


def _checked_inputs(inputs: tuple[Tensor, ...]) -> list[tuple[int, Tensor]]:
    """The inputs that require grad, each float64, finite and writable (else a clear error)."""
    checked = [(i, x) for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input requires grad, so there is nothing to check")
    for i, x in checked:
        if x.dtype != float64:
            raise TypeError(f"gradcheck: input {i} is {x.dtype}; use float64 (x.double())")
        if not np.all(np.isfinite(x.data)):
            raise ValueError(f"gradcheck: input {i} (shape {x.shape}) contains NaN or inf")
        if not x.data.flags.writeable:
            raise ValueError(f"gradcheck: input {i} is read-only; pass a writable tensor")
    return checked


def _check_output(out: object) -> None:
    if not isinstance(out, Tensor) or out.dtype != float64:
        raise TypeError("gradcheck: fn must return a float64 Tensor")
    if not np.all(np.isfinite(out.data)):
        raise GradcheckError(f"gradcheck: fn's output (shape {out.shape}) contains NaN or inf")


def _analytic_grads(out: Tensor, weights: np.ndarray, xs: list[Tensor]) -> list[np.ndarray]:
    """Autograd's gradient of sum(out * weights) for each x; the xs' own `.grad` is kept."""
    saved = [x.grad for x in xs]
    for x in xs:
        x.grad = None
    out.backward(weights)
    grads = [np.zeros(x.shape) if x.grad is None else x.grad.data for x in xs]
    for x, g in zip(xs, saved, strict=True):
        x.grad = g
    return grads
