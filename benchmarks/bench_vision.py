"""Benchmarks of tt-vision: the CNN training-step target, fast vs loop convolution, then guide 09's numbers.

- mnist-cnn-b64-train-step: one SGD training step (zero_grad, forward,
  cross-entropy, backward, step) of the MNIST milestone's CNN
  Conv(1→16, 3) ReLU MaxPool(2) Conv(16→32, 3) ReLU MaxPool(2) Flatten Linear(800→10)
  at batch 64, against the same model, loss and optimizer in PyTorch, both
  starting from the same weights (target <= 2x PyTorch).
- conv2d-16to32-13x13-b64-fwd-fast-vs-loop: the milestone's second conv
  forward, im2col + GEMM (role tinytorch) against the loop version (role
  baseline; target: >= 100x faster, i.e. ratio <= 0.01).
- guide groups: the training step's peak memory at batch 64 and 256 (memray,
  the workspace emptied before each step so that every array is counted),
  the graph bytes a conv keeps (im2col's K² blow-up), fast vs loop backward,
  pooling fast vs loop, the training step with max pooling's given tuned
  halves vs the student's textbook window_max / to_winners.
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
from tinytorch.core.allocator import WORKSPACE
from tinytorch.train import SGD
from tinytorch.vision import Conv2d, MaxPool2d, pool
from tinytorch.vision import functional as VF

Measure = Callable[..., Any]
group = pytest.mark.benchmark

STEP_GROUP = "mnist-cnn-b64-train-step"
FAST_VS_LOOP_GROUP = "conv2d-16to32-13x13-b64-fwd-fast-vs-loop"


# ------------------------------------------------ the milestone CNN, one training step


def tt_cnn() -> nn.Sequential:
    return nn.Sequential(
        Conv2d(1, 16, 3), nn.ReLU(), MaxPool2d(2),
        Conv2d(16, 32, 3), nn.ReLU(), MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 5 * 5, 10),
    )  # fmt: skip


def torch_cnn(torch: Any) -> Any:
    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 16, 3), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(16, 32, 3), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(32 * 5 * 5, 10),
    )  # fmt: skip


def mnist_like_batch(batch: int) -> tuple[np.ndarray, np.ndarray]:
    r = rng()
    return r.standard_normal((batch, 1, 28, 28), dtype=np.float32), r.integers(0, 10, batch)


def cnn_weights() -> dict[str, np.ndarray]:
    """One set of initial weights for both libraries (tinytorch's init, seed 0)."""
    tc.manual_seed(0)
    return tt_cnn().state_dict()


def tt_train_step(batch: int) -> Callable[[], None]:
    model = tt_cnn()
    model.load_state_dict(cnn_weights())
    optimizer = SGD(model.parameters(), lr=0.01)
    images, labels = mnist_like_batch(batch)
    x, y = Tensor(images), Tensor(labels)

    def step() -> None:
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


def torch_train_step(batch: int) -> Callable[[], None]:
    torch = import_torch()
    model = torch_cnn(torch)
    model.load_state_dict({k: torch.from_numpy(v) for k, v in cnn_weights().items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    images, labels = mnist_like_batch(batch)
    x, y = torch.from_numpy(images), torch.from_numpy(labels)

    def step() -> None:
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    return step


STEP_ROUNDS = 100  # ~5-15 ms each


@group(group=STEP_GROUP)
def test_cnn_train_step_tinytorch(measure: Measure) -> None:
    """zero_grad, forward, cross-entropy, backward, SGD step at batch 64."""
    measure(tt_train_step(64), role="tinytorch", rounds=STEP_ROUNDS, warmup_rounds=10)


@group(group=STEP_GROUP)
def test_cnn_train_step_pytorch(measure: Measure) -> None:
    """The same step in PyTorch: same weights, batch, loss and optimizer."""
    measure(torch_train_step(64), role="baseline", rounds=STEP_ROUNDS, warmup_rounds=10)


@group(group="guide-mnist-cnn-train-step-memory")
@pytest.mark.parametrize("batch", [64, 256])
@pytest.mark.parametrize("library", ["tinytorch", "pytorch"])
def test_guide_cnn_train_step_memory(measure: Measure, batch: int, library: str) -> None:
    """Peak memory (memray) and time of one training step at batch 64 and 256.

    tinytorch's fast ops keep their big arrays in a workspace between steps
    (tinytorch.core.allocator.Workspace); each measured step here starts with it empty, so
    that memray sees every array the step needs (extra_info: the workspace's
    size after the step).
    """
    extra = {}
    if library == "tinytorch":
        warm_step = tt_train_step(batch)

        def step() -> None:
            WORKSPACE.clear()
            warm_step()

        step()
        extra["workspace_nbytes"] = WORKSPACE.nbytes
    else:
        step = torch_train_step(batch)
    role = "baseline" if (library, batch) == ("pytorch", 64) else "guide"
    measure(step, role=role, rounds=20 if batch == 64 else 10, batch=batch, **extra)


# ------------------------------------------------------- fast vs loop convolution


def conv2_arrays() -> dict[str, np.ndarray]:
    """The milestone's second conv at batch 64: (64, 16, 13, 13) * (32, 16, 3, 3) -> (64, 32, 11, 11)."""
    r = rng()
    bound = 1 / np.sqrt(16 * 9)
    return {
        "x": r.standard_normal((64, 16, 13, 13), dtype=np.float32),
        "weight": r.uniform(-bound, bound, (32, 16, 3, 3)).astype(np.float32),
        "bias": r.uniform(-bound, bound, 32).astype(np.float32),
    }


CONV_VERSIONS = {"im2col": VF.conv2d, "loop": VF.conv2d_reference}


@group(group=FAST_VS_LOOP_GROUP)
@pytest.mark.parametrize("version", list(CONV_VERSIONS))
def test_conv_forward_fast_vs_loop(measure: Measure, version: str) -> None:
    """Forward only (inference, no graph): im2col + one GEMM against 247,808 Python-level windows."""
    a = conv2_arrays()
    fn = CONV_VERSIONS[version]
    x, w, b = Tensor(a["x"]), Tensor(a["weight"]), Tensor(a["bias"])
    role = "tinytorch" if version == "im2col" else "baseline"
    measure(lambda: fn(x, w, b), role=role, rounds=100 if version == "im2col" else 3, warmup_rounds=1)


@group(group="guide-conv2d-16to32-13x13-b64-fwd-bwd")
@pytest.mark.parametrize("version", list(CONV_VERSIONS))
def test_guide_conv_forward_backward(measure: Measure, version: str) -> None:
    """Forward + backward (dx, dW, db), and the bytes the graph keeps: cols (C·K²·OH·OW·B) vs x."""
    a = conv2_arrays()
    fn = CONV_VERSIONS[version]
    x = Tensor(a["x"], requires_grad=True)
    w, b = Tensor(a["weight"], requires_grad=True), Tensor(a["bias"], requires_grad=True)
    grad = rng().standard_normal((64, 32, 11, 11), dtype=np.float32)

    def step() -> None:
        x.grad = w.grad = b.grad = None
        fn(x, w, b).backward(grad)

    nbytes = tc.graph_nbytes(fn(x, w, b))
    role = "baseline" if version == "loop" else "guide"
    measure(step, role=role, rounds=30 if version == "im2col" else 1, warmup_rounds=1, graph_nbytes=nbytes,
            input_nbytes=a["x"].nbytes)  # fmt: skip


@group(group="guide-conv2d-16to32-13x13-b64-fwd-bwd")
def test_guide_conv_forward_backward_pytorch(measure: Measure) -> None:
    torch = import_torch()
    a = conv2_arrays()
    x = torch.tensor(a["x"], requires_grad=True)
    w, b = torch.tensor(a["weight"], requires_grad=True), torch.tensor(a["bias"], requires_grad=True)
    grad = torch.from_numpy(rng().standard_normal((64, 32, 11, 11), dtype=np.float32))

    def step() -> None:
        x.grad = w.grad = b.grad = None
        torch.nn.functional.conv2d(x, w, b).backward(grad)

    measure(step, role="guide", rounds=30)


POOL_VERSIONS = {"strided": VF.max_pool2d, "loop": VF.max_pool2d_reference}


@group(group="guide-max-pool2d-16x26x26-b64-fwd-bwd")
@pytest.mark.parametrize("version", list(POOL_VERSIONS))
def test_guide_max_pool(measure: Measure, version: str) -> None:
    """MaxPool2d(2) forward + backward on the milestone's first conv output (64, 16, 26, 26)."""
    fn = POOL_VERSIONS[version]
    x = Tensor(rng().standard_normal((64, 16, 26, 26), dtype=np.float32), requires_grad=True)
    grad = rng().standard_normal((64, 16, 13, 13), dtype=np.float32)

    def step() -> None:
        x.grad = None
        fn(x, 2).backward(grad)

    role = "baseline" if version == "loop" else "guide"
    measure(step, role=role, rounds=30 if version == "strided" else 1, warmup_rounds=1,
            graph_nbytes=tc.graph_nbytes(fn(x, 2)))  # fmt: skip


@group(group="guide-mnist-cnn-b64-train-step-workspace")
@pytest.mark.parametrize("workspace", ["on", "off"])
def test_guide_cnn_train_step_workspace(measure: Measure, workspace: str) -> None:
    """The same training step with the fast ops' workspace on, and off (every big array fresh from malloc)."""
    step = tt_train_step(64)
    per_shape = WORKSPACE.per_shape
    WORKSPACE.clear()
    WORKSPACE.per_shape = per_shape if workspace == "on" else 0
    try:
        role = "baseline" if workspace == "off" else "guide"
        measure(step, role=role, rounds=STEP_ROUNDS, warmup_rounds=10)
    finally:
        WORKSPACE.per_shape = per_shape
        WORKSPACE.clear()


MAX_POOL_HALVES = {
    "fast": (pool.window_max_fast, pool.to_winners_fast),  # given, what MaxPool2d runs
    "textbook": (pool.window_max, pool.to_winners),  # the student's whole-array version
}


@group(group="guide-mnist-cnn-b64-train-step-max-pool-textbook")
@pytest.mark.parametrize("version", list(MAX_POOL_HALVES))
def test_guide_cnn_train_step_max_pool_textbook(
    measure: Measure, version: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training step with max pooling's given tuned halves, and with the student's textbook
    window_max / to_winners in their place: the case for keeping the tuned pair (guide 09)."""
    window_max, to_winners = MAX_POOL_HALVES[version]
    monkeypatch.setattr(pool, "window_max_fast", window_max)
    monkeypatch.setattr(pool, "to_winners_fast", to_winners)
    role = "baseline" if version == "textbook" else "guide"
    measure(tt_train_step(64), role=role, rounds=STEP_ROUNDS, warmup_rounds=10)
