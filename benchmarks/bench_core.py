"""Benchmarks of tt-core: the three speed targets, then the measurements the module guides quote.

Each benchmark is one pytest-benchmark test; `measure` (conftest.py) adds the
peak memory of one call (memray). Tests in one `benchmark(group=...)` are
compared by benchmarks/summary.py: tinytorch against its NumPy or PyTorch
baseline, with the targets declared in conftest.TARGETS.

The PyTorch baselines call `pytest.importorskip("torch")`: these are benchmarks,
not tests, so where torch is not installed the tinytorch side still runs and
the baseline is reported as not measured.

test_matmul_numpy, test_op_chain_pytorch, test_guide_add_numpy and
test_guide_add_python_loop run no tinytorch code: they are the controls by
which `tinytorch bench compare` normalises a run's times
(tinytorch.course.bench.CONTROLS). Keep them free of tinytorch code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from conftest import import_torch, rng

import tinytorch.core as tc
from tinytorch.core import Tensor

Measure = Callable[..., Any]
Arrays = dict[str, np.ndarray]

group = pytest.mark.benchmark


# ------------------------------------------------ 1. matmul 1024x1024 float32 vs NumPy


@pytest.fixture(scope="module")
def square_matrices() -> tuple[np.ndarray, np.ndarray]:
    r = rng()
    shape = (1024, 1024)
    return r.standard_normal(shape, dtype=np.float32), r.standard_normal(shape, dtype=np.float32)


MATMUL_ROUNDS = 60  # ~11 ms each; many rounds because the target (0.95x) is tight


@group(group="matmul-1024-fp32")
def test_matmul_tinytorch(measure: Measure, square_matrices: tuple[np.ndarray, np.ndarray]) -> None:
    """`Tensor @ Tensor`: NumPy's GEMM plus tinytorch's per-call overhead (checks, wrapping)."""
    a, b = (Tensor(m) for m in square_matrices)
    measure(lambda: a @ b, role="tinytorch", rounds=MATMUL_ROUNDS)


@group(group="matmul-1024-fp32")
def test_matmul_numpy(measure: Measure, square_matrices: tuple[np.ndarray, np.ndarray]) -> None:
    """Raw NumPy `a @ b`: the baseline."""
    a, b = square_matrices
    measure(lambda: a @ b, role="baseline", rounds=MATMUL_ROUNDS)


# ----------------------------------- 2. 1,000 tiny ops forward + backward vs PyTorch

CHAIN_OPS = 1000  # alternating y * 1.0001 and y + 0.5 on a (4,) tensor, then y.sum().backward()
CHAIN_ROUNDS = 50


def op_chain(x: Any) -> None:
    """The chain, written once for both libraries (same operators, same scalars)."""
    x.grad = None
    y = x
    for _ in range(CHAIN_OPS // 2):
        y = y * 1.0001
        y = y + 0.5
    y.sum().backward()


@group(group="op-chain-1000-fwd-bwd")
def test_op_chain_tinytorch(measure: Measure) -> None:
    """Per-op autograd overhead: the arrays are tiny, so this is all Python bookkeeping."""
    x = tc.ones(4, requires_grad=True)
    measure(lambda: op_chain(x), role="tinytorch", rounds=CHAIN_ROUNDS, ops_per_call=CHAIN_OPS)


@group(group="op-chain-1000-fwd-bwd")
def test_op_chain_pytorch(measure: Measure) -> None:
    torch = import_torch()
    x = torch.ones(4, requires_grad=True)
    measure(lambda: op_chain(x), role="baseline", rounds=CHAIN_ROUNDS, ops_per_call=CHAIN_OPS)


# --------------------------------------- 3. MLP 784-256-10, batch 64, fwd + bwd vs PyTorch

MLP_ROUNDS = 300  # ~0.5 ms each


@pytest.fixture(scope="module")
def mlp_arrays() -> Arrays:
    r = rng()
    return {
        "x": r.standard_normal((64, 784), dtype=np.float32),
        "w1": r.standard_normal((784, 256), dtype=np.float32) * np.float32(0.05),
        "b1": np.zeros(256, dtype=np.float32),
        "w2": r.standard_normal((256, 10), dtype=np.float32) * np.float32(0.05),
        "b2": np.zeros(10, dtype=np.float32),
    }


@group(group="mlp-784-256-10-b64-fwd-bwd")
def test_mlp_tinytorch(measure: Measure, mlp_arrays: Arrays) -> None:
    """x @ W1 + b1, relu as maximum(h, 0), @ W2 + b2, loss = mean(out**2), backward."""
    x = Tensor(mlp_arrays["x"])
    params = [Tensor(mlp_arrays[k].copy(), requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
    w1, b1, w2, b2 = params

    def step() -> None:
        for p in params:
            p.grad = None
        h = tc.maximum(x @ w1 + b1, 0.0)
        out = h @ w2 + b2
        (out * out).mean().backward()

    measure(step, role="tinytorch", rounds=MLP_ROUNDS)


@group(group="mlp-784-256-10-b64-fwd-bwd")
def test_mlp_pytorch(measure: Measure, mlp_arrays: Arrays) -> None:
    """The same network in PyTorch, written the PyTorch way (torch.relu)."""
    torch = import_torch()
    x = torch.from_numpy(mlp_arrays["x"])
    params = [torch.tensor(mlp_arrays[k], requires_grad=True) for k in ("w1", "b1", "w2", "b2")]
    w1, b1, w2, b2 = params

    def step() -> None:
        for p in params:
            p.grad = None
        h = torch.relu(x @ w1 + b1)
        out = h @ w2 + b2
        (out * out).mean().backward()

    measure(step, role="baseline", rounds=MLP_ROUNDS)


# ------------------------------------------- guide: views vs copies (1000x1000 float32)

VIEW_OPS: dict[str, Callable[[Tensor], Tensor]] = {
    "reshape-view": lambda t: t.reshape(1_000_000),
    "transpose-view": lambda t: t.T,
    "slice-view": lambda t: t[100:900, ::2],
    "transpose-then-reshape-copies": lambda t: t.T.reshape(1_000_000),
}


@group(group="guide-views-vs-copies-1000x1000")
@pytest.mark.parametrize("op", list(VIEW_OPS))
def test_guide_view(measure: Measure, op: str) -> None:
    """A view costs a few Python objects and no data; reshape of a transposed tensor must copy."""
    t = tc.randn(1000, 1000)
    view = VIEW_OPS[op]
    shares = bool(np.shares_memory(view(t).data, t.data))
    measure(lambda: view(t), role="guide", rounds=30, iterations=10, shares_memory=shares)


@group(group="guide-views-vs-copies-1000x1000")
def test_guide_copy(measure: Measure) -> None:
    """The reference: copying the 4 MB of data (`ndarray.copy()` wrapped in a Tensor)."""
    t = tc.randn(1000, 1000)
    measure(lambda: Tensor(t.numpy().copy()), role="baseline", rounds=30, iterations=10, shares_memory=False)


# ------------------------------------ guide: vectorised vs Python loop (add of 100k elements)

ADD_N = 100_000


@group(group="guide-vectorised-vs-loop-add-100k")
def test_guide_add_tensor(measure: Measure) -> None:
    """`a + b` on Tensors: one NumPy ufunc call for all 100k elements."""
    a, b = tc.randn(ADD_N), tc.randn(ADD_N)
    measure(lambda: a + b, role="guide", rounds=100, iterations=10)


def add_inputs() -> tuple[np.ndarray, np.ndarray]:
    """NumPy's own arrays: the NumPy and loop versions are controls of `tinytorch bench compare`
    (tinytorch.course.bench.CONTROLS), which must run no tinytorch code, not even to make inputs."""
    r = rng()
    return r.standard_normal(ADD_N, dtype=np.float32), r.standard_normal(ADD_N, dtype=np.float32)


@group(group="guide-vectorised-vs-loop-add-100k")
def test_guide_add_numpy(measure: Measure) -> None:
    """The same add on the raw arrays: what the Tensor wrapper costs on top."""
    a, b = add_inputs()
    measure(lambda: a + b, role="guide", rounds=100, iterations=10)


@group(group="guide-vectorised-vs-loop-add-100k")
def test_guide_add_python_loop(measure: Measure) -> None:
    """The reference: a Python loop over the elements (on lists, pure Python's best case)."""
    a, b = (x.tolist() for x in add_inputs())
    measure(lambda: [x + y for x, y in zip(a, b, strict=True)], role="baseline", rounds=20)


# ---------------------------------------------- guide: O(N) memory of an elementwise op


@group(group="guide-elementwise-memory-O(N)")
@pytest.mark.parametrize("n", [10**5, 10**6, 10**7], ids=["1e5", "1e6", "1e7"])
def test_guide_elementwise_memory(measure: Measure, n: int) -> None:
    """Peak memory of `a + b` grows as N: one new float32 output, 4 bytes per element."""
    a, b = tc.randn(n), tc.randn(n)
    measure(lambda: a + b, role="guide", rounds=20, elements=n)


# -------------------------------- guide: graph memory of k ops on 1M elements, grad vs no_grad

GRAPH_N = 1_000_000


def mul_chain(x: Tensor, k: int) -> Tensor:
    """k times y = y * 1.0001: each Mul saves its input array for backward."""
    y = x
    for _ in range(k):
        y = y * 1.0001
    return y


@group(group="guide-graph-memory-1M")
@pytest.mark.parametrize("grad", [True, False], ids=["grad", "no_grad"])
@pytest.mark.parametrize("k", [1, 10, 50])
def test_guide_graph_memory(measure: Measure, k: int, grad: bool) -> None:
    """Forward only. With grad the graph keeps every intermediate (~4 MB each) alive
    until backward; under no_grad each one is freed as soon as the next exists."""
    x = tc.randn(GRAPH_N, requires_grad=True)

    def forward() -> Tensor:
        if grad:
            return mul_chain(x, k)
        with tc.no_grad():
            return mul_chain(x, k)

    nbytes = tc.graph_nbytes(forward())
    measure(forward, role="guide", rounds=max(5, 50 // k), graph_nbytes=nbytes, ops=k)
