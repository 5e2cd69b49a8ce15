"""Shared machinery of tt-nn's PyTorch-oracle tests.

`check(tt_fn, torch_fn, inputs, grads=..., data=...)` runs one function in both
frameworks on the same NumPy arrays, compares the outputs (shape, dtype,
values) and, when `grads` marks inputs as requiring grad, backpropagates one
random upstream gradient (drawn with hypothesis) through both and compares
the gradient of each of those inputs.

Tolerances: 1e-10 in float64 and 1e-5 in float32, relative to each value and,
as an absolute floor, to the largest expected magnitude (as tt-core's oracle).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as TF
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor

DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
TOLERANCE = {np.dtype(np.float32): 1e-5, np.dtype(np.float64): 1e-10}


def assert_matches(actual: np.ndarray, expected: torch.Tensor, what: str) -> None:
    want = expected.detach().numpy()
    assert actual.shape == want.shape, f"{what}: shape {actual.shape}, torch gives {want.shape}"
    assert actual.dtype == want.dtype, f"{what}: dtype {actual.dtype}, torch gives {want.dtype}"
    tol = TOLERANCE[actual.dtype]
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(actual, want, rtol=tol, atol=tol * scale, err_msg=what)


def check(
    tt_fn: Callable[..., Tensor],
    torch_fn: Callable[..., torch.Tensor],
    inputs: Sequence[np.ndarray],
    grads: Sequence[bool] = (),
    data: st.DataObject | None = None,
    what: str = "",
) -> None:
    """Compare tt_fn(*inputs) with torch_fn(*inputs); then the gradients of inputs marked in `grads`."""
    flags = list(grads) + [False] * (len(inputs) - len(grads))
    xs = [Tensor(a, requires_grad=g) for a, g in zip(inputs, flags, strict=True)]
    ts = [torch.from_numpy(a).requires_grad_(g) for a, g in zip(inputs, flags, strict=True)]
    out, expected = tt_fn(*xs), torch_fn(*ts)
    assert_matches(out.data, expected, f"{what}: forward")
    if not any(flags):
        return
    assert data is not None, "backward checks draw the upstream gradient with hypothesis"
    upstream = data.draw(float_arrays(out.dtype, out.shape, -2, 2), label="upstream gradient")
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    for i, (x, t) in enumerate(zip(xs, ts, strict=True)):
        if flags[i]:
            assert x.grad is not None and t.grad is not None, f"{what}: input {i} has no gradient"
            assert_matches(x.grad.data, t.grad, f"{what}: gradient of input {i}")


def float_arrays(dtype: Any, shape: tuple[int, ...], lo: float = -4, hi: float = 4) -> st.SearchStrategy:
    """Arrays of finite floats in [lo, hi] (bounds exact in float32)."""
    dtype = np.dtype(dtype)
    elements = st.floats(lo, hi, width=8 * dtype.itemsize, allow_subnormal=False)
    return hnp.arrays(dtype, shape, elements=elements)


def shapes(min_dims: int = 1, max_dims: int = 3, max_side: int = 4) -> st.SearchStrategy:
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=1, max_side=max_side)


def torch_state(state: dict[str, np.ndarray]) -> dict[str, torch.Tensor]:
    """A tinytorch state dict (NumPy arrays) as torch.load_state_dict wants it."""
    return {k: torch.from_numpy(v) for k, v in state.items()}


# ------------------------------------------------- activation cases (modules 03 and 05)

# (tinytorch, torch) for elementwise activations, functional and module forms
ELEMENTWISE = {
    "relu": (F.relu, TF.relu),
    "leaky_relu": (F.leaky_relu, TF.leaky_relu),
    "leaky_relu_0.2": (lambda x: F.leaky_relu(x, 0.2), lambda t: TF.leaky_relu(t, 0.2)),
    "sigmoid": (F.sigmoid, torch.sigmoid),
    "tanh": (F.tanh, torch.tanh),
    "gelu": (F.gelu, TF.gelu),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda t: TF.gelu(t, approximate="tanh")),
    "ReLU": (nn.ReLU(), torch.nn.ReLU()),
    "LeakyReLU": (nn.LeakyReLU(0.3), torch.nn.LeakyReLU(0.3)),
    "Sigmoid": (nn.Sigmoid(), torch.nn.Sigmoid()),
    "Tanh": (nn.Tanh(), torch.nn.Tanh()),
    "GELU": (nn.GELU(), torch.nn.GELU()),
}

SOFTMAX = {
    "softmax": (F.softmax, TF.softmax),
    "log_softmax": (F.log_softmax, TF.log_softmax),
    "Softmax": (lambda x, dim: nn.Softmax(dim)(x), lambda t, dim: torch.nn.Softmax(dim)(t)),
    "LogSoftmax": (lambda x, dim: nn.LogSoftmax(dim)(x), lambda t, dim: torch.nn.LogSoftmax(dim)(t)),
}

# Sigmoid, softmax and friends must not overflow at these inputs (and must agree with torch).
EXTREME = np.array([[-1000.0, -50.0, -1.0, 0.0, 1.0, 50.0, 1000.0]])
EXTREME_CASES = {
    **{name: ELEMENTWISE[name] for name in ("sigmoid", "tanh", "gelu", "gelu_tanh")},
    "softmax": (lambda x: F.softmax(x, dim=-1), lambda t: TF.softmax(t, dim=-1)),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), lambda t: TF.log_softmax(t, dim=-1)),
}
