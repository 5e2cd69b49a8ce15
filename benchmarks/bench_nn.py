"""Benchmarks of tt-nn: the Linear speed target, then the measurements the module guides quote.

Same machinery as bench_core.py: `measure` (conftest.py) times each benchmark
with pytest-benchmark and records its peak memory with memray; benchmarks in
one `benchmark(group=...)` are compared by summary.py, against the targets in
conftest.TARGETS. Extra keyword arguments of `measure` (graph bytes, NaN
counts) land in extra_info and are printed as notes.

The PyTorch baselines call `pytest.importorskip("torch")`: without torch the
tinytorch side still runs and the baseline is reported as not measured.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from conftest import import_torch, rng

import tinytorch.core as tc
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.core import Tensor
from tinytorch.nn.activations import (
    _GELU_TANH_COEF,
    _SQRT_2_OVER_PI,
    GELUFunction,
    LeakyReLUFunction,
    SigmoidFunction,
    stable_sigmoid,
)

Measure = Callable[..., Any]

group = pytest.mark.benchmark


# ------------------------------------ 1. Linear 784 -> 256, batch 64, fwd + bwd vs PyTorch

LINEAR_ROUNDS = 300  # ~0.5 ms each


@pytest.fixture(scope="module")
def linear_arrays() -> dict[str, np.ndarray]:
    """Input, upstream gradient and the weights both libraries start from."""
    r = rng()
    bound = 1 / np.sqrt(784)
    return {
        "x": r.standard_normal((64, 784), dtype=np.float32),
        "grad": r.standard_normal((64, 256), dtype=np.float32),
        "weight": r.uniform(-bound, bound, (256, 784)).astype(np.float32),
        "bias": r.uniform(-bound, bound, 256).astype(np.float32),
    }


def tt_linear_step(
    layer: Any, fn: Callable[..., Tensor], arrays: dict[str, np.ndarray]
) -> Callable[[], None]:
    """out = fn(x, W, b); out.backward(grad): all three gradients (x requires grad, as in a hidden layer)."""
    x = Tensor(arrays["x"], requires_grad=True)
    grad = arrays["grad"]

    def step() -> None:
        x.grad = layer.weight.grad = layer.bias.grad = None
        fn(x, layer.weight, layer.bias).backward(grad)

    return step


def tt_linear(arrays: dict[str, np.ndarray]) -> nn.Linear:
    layer = nn.Linear(784, 256)
    layer.load_state_dict({"weight": arrays["weight"], "bias": arrays["bias"]})
    return layer


@group(group="linear-784-256-b64-fwd-bwd")
def test_linear_tinytorch(measure: Measure, linear_arrays: dict[str, np.ndarray]) -> None:
    """`nn.Linear(784, 256)` forward, then backward of a fixed upstream gradient."""
    layer = tt_linear(linear_arrays)
    measure(
        tt_linear_step(layer, lambda x, w, b: layer(x), linear_arrays), role="tinytorch", rounds=LINEAR_ROUNDS
    )


@group(group="linear-784-256-b64-fwd-bwd")
def test_linear_pytorch(measure: Measure, linear_arrays: dict[str, np.ndarray]) -> None:
    """`torch.nn.Linear(784, 256)`, the same weights, input and upstream gradient."""
    torch = import_torch()
    layer = torch.nn.Linear(784, 256)
    layer.load_state_dict({k: torch.from_numpy(linear_arrays[k]) for k in ("weight", "bias")})
    x = torch.tensor(linear_arrays["x"], requires_grad=True)
    grad = torch.from_numpy(linear_arrays["grad"])

    def step() -> None:
        x.grad = layer.weight.grad = layer.bias.grad = None
        layer(x).backward(grad)

    measure(step, role="baseline", rounds=LINEAR_ROUNDS)


# --------------------------------- guide 04: fused Linear Function vs composed x @ W.T + b


@group(group="guide-linear-fused-vs-composed")
@pytest.mark.parametrize("version", ["fused", "composed"])
def test_guide_linear_versions(measure: Measure, linear_arrays: dict[str, np.ndarray], version: str) -> None:
    """F.linear (one Function) against F.linear_reference (matmul, transpose view, add)."""
    layer = tt_linear(linear_arrays)
    fn = F.linear if version == "fused" else F.linear_reference
    x = Tensor(linear_arrays["x"], requires_grad=True)
    nbytes = tc.graph_nbytes(fn(x, layer.weight, layer.bias))
    role = "guide" if version == "fused" else "baseline"  # the readable version is the reference
    step = tt_linear_step(layer, fn, linear_arrays)
    measure(step, role=role, rounds=LINEAR_ROUNDS, graph_nbytes=nbytes)


# --------------------------------------------- guide 04: parameter memory of a Linear

LINEAR_SIZES = [(784, 256), (256, 10), (4096, 4096)]


@group(group="guide-linear-parameter-memory")
@pytest.mark.parametrize(("n_in", "n_out"), LINEAR_SIZES, ids=[f"{i}x{o}" for i, o in LINEAR_SIZES])
def test_guide_linear_construction(measure: Measure, n_in: int, n_out: int) -> None:
    """Building nn.Linear(n_in, n_out): its peak memory is its parameters, (in + 1) * out * 4 bytes."""
    params = (n_in + 1) * n_out
    measure(lambda: nn.Linear(n_in, n_out), role="guide", rounds=5, parameters=params, param_bytes=4 * params)


# ------------------------------- guide 06: fused vs composed cross-entropy, vs PyTorch

CE_SHAPES = {"64x10": (64, 10), "256x10000": (256, 10_000)}  # an MNIST batch; a language model's vocabulary


def ce_arrays(shape: str) -> dict[str, np.ndarray]:
    n, c = CE_SHAPES[shape]
    r = rng()
    return {"logits": r.standard_normal((n, c), dtype=np.float32) * 3, "target": r.integers(0, c, n)}


def ce_cases(versions: list[str]) -> list[Any]:
    """One benchmark group per shape: speed-ups are against the composed version of the same shape."""
    return [
        pytest.param(shape, version, marks=group(group=f"guide-cross-entropy-{shape}-fwd-bwd"))
        for shape in CE_SHAPES
        for version in versions
    ]


@pytest.mark.parametrize(("shape", "version"), ce_cases(["fused", "composed"]))
def test_guide_cross_entropy(measure: Measure, shape: str, version: str) -> None:
    """F.cross_entropy (one Function) vs F.cross_entropy_reference (log_softmax + indexing, the baseline)."""
    arrays = ce_arrays(shape)
    fn = F.cross_entropy if version == "fused" else F.cross_entropy_reference
    x = Tensor(arrays["logits"], requires_grad=True)
    t = Tensor(arrays["target"])

    def step() -> None:
        x.grad = None
        fn(x, t).backward()

    nbytes = tc.graph_nbytes(fn(x, t))
    role = "guide" if version == "fused" else "baseline"
    measure(step, role=role, rounds=300 if shape == "64x10" else 20, graph_nbytes=nbytes)


@pytest.mark.parametrize(("shape", "version"), ce_cases(["pytorch"]))
def test_guide_cross_entropy_pytorch(measure: Measure, shape: str, version: str) -> None:
    torch = import_torch()
    arrays = ce_arrays(shape)
    x = torch.tensor(arrays["logits"], requires_grad=True)
    t = torch.from_numpy(arrays["target"])

    def step() -> None:
        x.grad = None
        torch.nn.functional.cross_entropy(x, t).backward()

    measure(step, role="guide", rounds=300 if shape == "64x10" else 20)


# ------------------------------------- guide 03: activations on 1M elements, fwd + bwd


class TextbookSigmoid(SigmoidFunction):
    """SigmoidFunction with the student's whole-array `stable_sigmoid` (guide 03's A/B)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        out = stable_sigmoid(x)
        ctx.save_for_backward(out)
        return out


class GELUTanhKeepTanh(GELUFunction):
    """Tanh GELU that also saves the tanh, so backward need not compute it again (guide 03's A/B)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray) -> np.ndarray:
        t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_TANH_COEF * x * x * x))
        ctx.save_for_backward(x, t)
        return 0.5 * x * (1 + t)

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        x, t = ctx.saved_tensors
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_TANH_COEF * x * x)
        return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner)


class LeakyReLUInPlace(LeakyReLUFunction):
    """LeakyReLU with in-place steps (`out=`): one fresh array per pass (guide 03's A/B)."""

    @staticmethod
    def forward(ctx: Any, x: np.ndarray, negative_slope: float = 0.01) -> np.ndarray:
        ctx.save_for_backward(x)
        ctx.negative_slope = negative_slope
        out = np.asarray(x * negative_slope)
        if negative_slope <= 1:
            return np.maximum(out, x, out=out)
        return np.minimum(out, x, out=out)

    @staticmethod
    def backward(ctx: Any, grad: np.ndarray) -> np.ndarray:
        (x,) = ctx.saved_tensors
        local = np.asarray(x > 0).astype(grad.dtype)
        local *= 1 - ctx.negative_slope
        local += ctx.negative_slope
        local *= grad
        return local


ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": F.relu,
    "leaky_relu": F.leaky_relu,
    "leaky_relu_inplace": LeakyReLUInPlace.apply,
    "sigmoid": F.sigmoid,
    "sigmoid_textbook": TextbookSigmoid.apply,
    "tanh": F.tanh,
    "gelu_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_tanh_keep_tanh": GELUTanhKeepTanh.apply,
    "gelu_exact": F.gelu,
}
ACTIVATION_N = 1_000_000


@group(group="guide-activations-1M-fwd-bwd")
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_guide_activation(measure: Measure, name: str) -> None:
    """One activation forward and backward on 1M float32 values; ReLU is the baseline."""
    fn = ACTIVATIONS[name]
    r = rng()
    x = Tensor(r.standard_normal(ACTIVATION_N, dtype=np.float32), requires_grad=True)
    grad = r.standard_normal(ACTIVATION_N, dtype=np.float32)

    def step() -> None:
        x.grad = None
        fn(x).backward(grad)

    nbytes = tc.graph_nbytes(fn(x))
    role = "baseline" if name == "relu" else "guide"
    measure(step, role=role, rounds=20, graph_nbytes=nbytes)


@group(group="guide-activations-1M-fwd-bwd")
@pytest.mark.parametrize("name", ["relu", "gelu_exact"])
def test_guide_activation_pytorch(measure: Measure, name: str) -> None:
    torch = import_torch()
    fn = torch.relu if name == "relu" else torch.nn.functional.gelu
    r = rng()
    x = torch.tensor(r.standard_normal(ACTIVATION_N, dtype=np.float32), requires_grad=True)
    grad = torch.from_numpy(r.standard_normal(ACTIVATION_N, dtype=np.float32))

    def step() -> None:
        x.grad = None
        fn(x).backward(grad)

    measure(step, role="guide", rounds=20)


# ----------------------------------------- guide 03: stable vs naive softmax (1000 x 1000)


def naive_softmax(x: Tensor) -> Tensor:
    """exp(x) / sum(exp(x)) in tt-core ops, without the max shift: overflows past x ~ 88 (float32)."""
    e = x.exp()
    return e / e.sum(axis=1, keepdims=True)


SOFTMAX_VERSIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "stable-function": lambda x: F.softmax(x, dim=1),
    "naive-composed": naive_softmax,
}


@group(group="guide-softmax-1000x1000")
@pytest.mark.parametrize("version", list(SOFTMAX_VERSIONS))
def test_guide_softmax(measure: Measure, version: str) -> None:
    """Forward + backward at ordinary logits (N(0, 1)); the NaN counts at logits of scale 100 and 1000."""
    fn = SOFTMAX_VERSIONS[version]
    r = rng()
    base = r.standard_normal((1000, 1000), dtype=np.float32)
    grad = r.standard_normal((1000, 1000), dtype=np.float32)
    nan_counts = {}
    for scale in (100, 1000):
        with np.errstate(all="ignore"):  # the naive version overflows here (that is the point)
            out = fn(Tensor(base * np.float32(scale))).data
        nan_counts[f"nan_outputs_at_scale_{scale}"] = int(np.isnan(out).sum())
    x = Tensor(base, requires_grad=True)
    nbytes = tc.graph_nbytes(fn(x))

    def step() -> None:
        x.grad = None
        fn(x).backward(grad)

    role = "guide" if version == "stable-function" else "baseline"
    measure(step, role=role, rounds=20, graph_nbytes=nbytes, **nan_counts)


# ------------------------------------------------ guide 04: the cost of Dropout (1024 x 1024)

DROPOUT_SHAPE = (1024, 1024)


@group(group="guide-dropout-1024x1024-fwd-bwd")
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_guide_dropout(measure: Measure, mode: str) -> None:
    """Dropout(0.5) forward + backward: a random draw and a mask in training, nothing in eval."""
    layer = nn.Dropout(0.5).train(mode == "train")
    x = tc.randn(*DROPOUT_SHAPE, requires_grad=True)
    grad = rng().standard_normal(DROPOUT_SHAPE, dtype=np.float32)

    def step() -> None:
        x.grad = None
        (layer(x) * 1.0).backward(grad)  # * 1.0: in eval, layer(x) is x itself, a leaf

    nbytes = tc.graph_nbytes(layer(x))
    role = "baseline" if mode == "eval" else "guide"  # eval: what the layer costs when it does nothing
    measure(step, role=role, rounds=30, graph_nbytes=nbytes)


@group(group="guide-dropout-1024x1024-fwd-bwd")
def test_guide_dropout_pytorch(measure: Measure) -> None:
    torch = import_torch()
    layer = torch.nn.Dropout(0.5)
    x = torch.randn(*DROPOUT_SHAPE, requires_grad=True)
    grad = torch.from_numpy(rng().standard_normal(DROPOUT_SHAPE, dtype=np.float32))

    def step() -> None:
        x.grad = None
        (layer(x) * 1.0).backward(grad)

    measure(step, role="guide", rounds=30)
