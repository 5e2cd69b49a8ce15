"""Shared machinery of tt-vision's PyTorch-oracle tests.

`run_both(tt_fn, torch_fn, arrays, grads)` runs one function in both frameworks
on the same NumPy arrays, backpropagates the same random upstream gradient
through both, and returns (tinytorch results, torch results): the output,
then the gradient of every input marked in `grads`. `assert_matches` compares
them: 1e-10 in float64, 1e-5 in float32 (relative, with the largest expected
magnitude as an absolute floor, since a conv sums up to C·kh·kw products).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from tinytorch.core import Tensor

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def assert_matches(actual: np.ndarray, expected: Any, what: str) -> None:
    want = expected.detach().numpy() if isinstance(expected, torch.Tensor) else np.asarray(expected)
    assert actual.shape == want.shape, f"{what}: shape {actual.shape}, torch gives {want.shape}"
    assert actual.dtype == want.dtype, f"{what}: dtype {actual.dtype}, torch gives {want.dtype}"
    tol = TOLERANCE[actual.dtype]
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(actual, want, rtol=tol, atol=tol * scale, err_msg=what)


def run_both(
    tt_fn: Callable[..., Tensor],
    torch_fn: Callable[..., torch.Tensor],
    arrays: Sequence[np.ndarray | None],
    grads: Sequence[bool],
    seed: int = 0,
) -> tuple[list[np.ndarray], list[torch.Tensor]]:
    """Forward and backward in both frameworks; None entries (no bias) are passed through."""
    xs = [None if a is None else Tensor(a, requires_grad=g) for a, g in zip(arrays, grads, strict=True)]
    ts = [
        None if a is None else torch.from_numpy(a.copy()).requires_grad_(g)
        for a, g in zip(arrays, grads, strict=True)
    ]
    out, expected = tt_fn(*xs), torch_fn(*ts)
    upstream = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    ours = [out.data] + [x.grad.data for x, g in zip(xs, grads, strict=True) if x is not None and g]
    theirs = [expected] + [t.grad for t, g in zip(ts, grads, strict=True) if t is not None and g]
    return ours, theirs


def milestone_cnn_torch() -> torch.nn.Module:
    """The MNIST milestone's CNN in PyTorch."""
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 16, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 10),
    )  # fmt: skip
