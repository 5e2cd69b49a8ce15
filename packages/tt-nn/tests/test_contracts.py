"""Contracts of modules 03, 04 and 06: the memory and speed figures their guides teach, measured
on the student's code (``tinytorch measure NN`` runs these alone and shows the numbers).

Memory is measured deterministically: ``graph_nbytes`` (what a graph keeps for backward),
array ``nbytes``, ``tracemalloc`` peaks (NumPy reports its buffers to it). The helpers use
``tracemalloc`` directly, not module 01's tools. Each test prints one ``measure: ...`` line and
records it as the ``measure`` property.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.nn.functional as F
from tinytorch.core import Tensor
from tinytorch.core.measuring import report, traced_peak
from tinytorch.nn import Dropout, Linear

MiB = 1024 * 1024


# ------------------------------------------------------------------ module 03: activations

ACTIVATIONS: dict[str, tuple[Callable[[Tensor], Tensor], int]] = {  # name -> (fn, arrays it may keep)
    "ReLU": (F.relu, 1),
    "LeakyReLU": (F.leaky_relu, 1),
    "Sigmoid": (F.sigmoid, 1),
    "Tanh": (F.tanh, 1),
    "GELU (tanh)": (lambda x: F.gelu(x, approximate="tanh"), 1),
    "GELU (exact)": (F.gelu, 2),
}


@pytest.mark.module03
@pytest.mark.contract
def test_each_activation_keeps_one_array_for_backward(record_property):
    """Guide 03 §3: every activation keeps exactly one input-sized array for backward (3.8 MiB
    for 1M float32), except exact GELU, which also keeps Φ(x) (two)."""
    n = 1_000_000
    x = tc.randn(n, requires_grad=True)
    kept = {name: tc.graph_nbytes(fn(x)) / x.data.nbytes for name, (fn, _) in ACTIVATIONS.items()}
    shown = ", ".join(f"{name} {arrays:.2f}" for name, arrays in kept.items())
    report(
        record_property,
        "graph memory of each activation of 1M float32, in input-sized arrays",
        shown,
        "<= 1 array each (exact GELU <= 2): graph_nbytes <= 3.8 MiB (7.6 MiB)",
    )
    for name, (_, allowed) in ACTIVATIONS.items():
        assert kept[name] <= allowed + 0.001, f"{name} keeps {kept[name]:.2f} arrays for backward"


@pytest.mark.module03
@pytest.mark.contract
def test_stable_softmax_keeps_one_array_and_never_overflows(record_property):
    """Guide 03 §3: the fused, max-shifted softmax saves only its output (one array) where the
    naive exp / sum keeps two, and gives no NaN at logits x100 and x1000 (the naive one gives
    187,886 and 464,993 of a 1000x1000 batch)."""
    tc.manual_seed(0)
    z = tc.randn(1000, 1000, requires_grad=True)
    fused = tc.graph_nbytes(F.softmax(z, dim=1)) / z.data.nbytes
    e = z.exp()
    naive = tc.graph_nbytes(e / e.sum(axis=1, keepdims=True)) / z.data.nbytes
    nans = {}
    with tc.no_grad(), np.errstate(over="ignore", invalid="ignore"):
        for scale in (100, 1000):
            big = z * float(scale)
            e = big.exp()
            nans[scale] = (
                int(np.isnan(F.softmax(big, dim=1).data).sum()),
                int(np.isnan((e / e.sum(axis=1, keepdims=True)).data).sum()),
            )
    report(
        record_property,
        "graph memory of softmax over a 1000x1000 float32 batch, in input-sized arrays",
        f"{fused:.2f} (naive exp/sum: {naive:.2f}); NaN outputs at logits x1000: "
        f"{nans[1000][0]:,} (naive: {nans[1000][1]:,})",
        "the stable softmax keeps 1 array (<= half the naive graph) and gives 0 NaN at x100 and x1000",
    )
    assert fused <= 1.001, f"softmax keeps {fused:.2f} input-sized arrays for backward"
    assert fused <= naive / 2 + 0.001
    assert nans[100][0] == nans[1000][0] == 0, f"NaN outputs: {nans}"
    assert nans[1000][1] > 0, "the naive version should overflow at x1000 (the comparison is void)"


# ------------------------------------------------------------------ module 04: layers


@pytest.mark.module04
@pytest.mark.contract
def test_linear_parameters_cost_their_bytes(record_property):
    """Guide 04 §3: a Linear(in, out) holds (in + 1) · out · 4 bytes and building it peaks at
    that and nothing more: the initialisers draw float32 straight into the parameters' buffers
    (float64 draws converted afterwards would peak at three times the size)."""
    n_in, n_out = 1024, 1024
    peak, _, layer = traced_peak(lambda: Linear(n_in, n_out))
    params = sum(p.data.nbytes for p in layer.parameters())
    report(
        record_property,
        f"peak memory while building Linear({n_in}, {n_out}), in parameter bytes ({params / MiB:.1f} MiB)",
        f"{peak / params:.4f}x",
        "(in + 1) · out · 4 bytes of float32 parameters, built at <= 1.05x that",
    )
    assert params == (n_in + 1) * n_out * 4
    assert all(p.dtype == tc.float32 for p in layer.parameters())
    assert peak <= 1.05 * params + 8 * 1024, (
        f"building the layer peaked at {peak / params:.2f}x its parameters"
    )


@pytest.mark.module04
@pytest.mark.contract
def test_dropout_keeps_a_bool_mask_and_eval_is_free(record_property):
    """Guide 04 §3: in training, Dropout's graph memory is its boolean mask, 1 byte per element
    (a float mask would cost 4); in eval mode it returns its input itself: no draw, no copy,
    no node."""
    x = tc.randn(1024, 1024, requires_grad=True)
    layer = Dropout(0.5)
    train_graph = tc.graph_nbytes(layer(x))
    layer.eval()
    eval_peak, _, out = traced_peak(lambda: layer(x))
    report(
        record_property,
        "Dropout(0.5) graph memory on 1024x1024 float32 in training",
        f"{train_graph / x.data.size:.2f} bytes per element (eval: returns its input, peak {eval_peak} B)",
        "<= 1 byte per element (a bool mask); eval mode returns x itself with no allocation",
    )
    assert train_graph <= x.data.size + 1024, f"training graph keeps {train_graph} bytes"
    assert out is x, "eval-mode Dropout must return its input itself"
    assert eval_peak <= 1024 and tc.graph_nbytes(out) == 0


# ------------------------------------------------------------------ module 06: losses


@pytest.mark.module06
@pytest.mark.contract
def test_fused_cross_entropy_peaks_at_half_the_composed(record_property):
    """Guide 06 §3: forward + backward of the mean cross-entropy of 256 x 10,000 logits peaks
    at 19.5 MiB fused (its softmax, then the gradient as one copy of it: 2 logit-sized arrays)
    against 39.1 MiB composed."""
    rng = np.random.default_rng(0)
    logits = Tensor(rng.standard_normal((256, 10_000), dtype=np.float32), requires_grad=True)
    target = Tensor(rng.integers(0, 10_000, 256))

    def step(loss_fn: Callable[[Tensor, Tensor], Tensor]) -> None:
        logits.grad = None
        loss_fn(logits, target).backward()

    fused = traced_peak(lambda: step(F.cross_entropy))[0] / logits.data.nbytes
    composed = traced_peak(lambda: step(F.cross_entropy_reference))[0] / logits.data.nbytes
    size = logits.data.nbytes / MiB
    report(
        record_property,
        f"peak memory of cross-entropy forward + backward, 256 x 10,000 logits ({size:.1f} MiB)",
        f"{fused:.2f} logit-sized arrays fused ({fused * size:.1f} MiB), {composed:.2f} composed",
        "fused <= 2.25 arrays (softmax + its gradient) and <= 0.75x the composed peak",
    )
    assert fused <= 2.25, f"the fused loss peaked at {fused:.2f} logit-sized arrays"
    assert fused <= 0.75 * composed, f"fused {fused:.2f} against composed {composed:.2f} arrays"
