"""Contracts of modules 13, 14 and 15: the memory and speed figures their guides teach, measured
on the student's code (``tinytorch measure NN`` runs these alone and shows the numbers).

Memory is measured deterministically: ``graph_nbytes`` (what a graph keeps for backward), array
``nbytes``, ``tracemalloc`` peaks (NumPy reports its buffers to it). Speed is a ratio of two
versions timed in the same run, in turns, best of several rounds, GEMMs on one BLAS thread, and
asserted at 1/3 of the guide's factor for a shared 2-core machine. The helpers use ``time`` and
``tracemalloc`` directly, not module 01's tools. The corpus contract reads tiny-shakespeare
through the users' lookup (``$TINYTORCH_DATA`` first; where that fails, the announced fallback
corpus, which its measure line names). Each test prints one ``measure: ...`` line and records it
as the ``measure`` property.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.core.measuring import best_times, one_blas_thread, report, traced_peak
from tinytorch.text import (
    GPTConfig,
    ShakespeareDataset,
    TinyGPT,
    scaled_dot_product_attention,
    scaled_dot_product_attention_reference,
)
from tinytorch.text.functional import layer_norm, layer_norm_reference

MiB = 1024 * 1024


# ------------------------------------------------------------------ module 13: attention


def qkv(length: int, heads: int = 4, head_size: int = 32) -> tuple[Tensor, Tensor, Tensor]:
    """Batch 1, 4 heads of 32, T = length positions: the guide's attention-memory workload."""
    rng = np.random.default_rng(length)
    q, k, v = (
        Tensor(rng.standard_normal((1, heads, length, head_size), dtype=np.float32), requires_grad=True)
        for _ in range(3)
    )
    return q, k, v


@pytest.mark.module13
@pytest.mark.contract
def test_attention_graph_grows_as_t_squared(record_property):
    """Guide 13 §3: the fused attention graph keeps q, k, v and one (B, H, T, T) probability
    array: doubling T quadruples it (O(T²) memory). The composed version keeps ~3x more."""
    excess = {}
    for T in (128, 256):
        q, k, v = qkv(T)
        graph = tc.graph_nbytes(scaled_dot_product_attention(q, k, v, is_causal=True))
        excess[T] = (graph - 3 * q.data.nbytes) / (4 * T * T * 4)  # in (1, 4, T, T) float32 matrices
    q, k, v = qkv(256)
    composed = tc.graph_nbytes(scaled_dot_product_attention_reference(q, k, v, is_causal=True))
    fused = tc.graph_nbytes(scaled_dot_product_attention(q, k, v, is_causal=True))
    growth = (excess[256] / excess[128]) * 4 if excess[128] else float("inf")
    report(
        record_property,
        "fused causal attention graph at T=256 (batch 1, 4 heads of 32), beyond q, k, v",
        f"{excess[256]:.2f} (1, 4, T, T) score matrices ({excess[256] * 4 * 256 * 256 * 4 / MiB:.2f} MiB), "
        f"x{growth:.2f} from T=128; composed graph {composed / fused:.2f}x the fused",
        "one T x T matrix beyond q, k, v (<= 1.01), so x4 per doubling of T; composed >= 2x the fused",
    )
    for T, matrices in excess.items():
        assert matrices <= 1.01, f"T={T}: the fused graph keeps {matrices:.2f} T x T matrices beyond q, k, v"
    assert composed >= 2 * fused, f"composed {composed} bytes against fused {fused}: the comparison is void"


@pytest.mark.module13
@pytest.mark.contract
def test_attention_backward_peaks_at_about_twice_the_graph(record_property):
    """Guide 13 §3: forward + backward of fused attention peaks at about 3.5 times its score
    matrix (backward holds P, dP, dS and the temporary dP * P of the same T x T size): 3.5 MiB
    at T=256, against 6.2 MiB composed."""
    T = 256
    q, k, v = qkv(T)
    scores = 4 * T * T * 4

    def step(attention: Callable[..., Tensor]) -> None:
        for t in (q, k, v):
            t.grad = None
        attention(q, k, v, is_causal=True).sum().backward()

    step(scaled_dot_product_attention)
    fused = traced_peak(lambda: step(scaled_dot_product_attention))[0] / scores
    composed = traced_peak(lambda: step(scaled_dot_product_attention_reference))[0] / scores
    report(
        record_property,
        f"peak memory of causal attention forward + backward at T={T}, in T x T score matrices (1 MiB)",
        f"{fused:.2f} fused ({fused * scores / MiB:.1f} MiB), {composed:.2f} composed",
        "fused <= 4 score matrices (P, dP, dS, dP * P) and <= 0.7x the composed peak",
    )
    assert fused <= 4.0, f"fused attention peaked at {fused:.2f} T x T matrices"
    assert fused <= 0.7 * composed, f"fused {fused:.2f} against composed {composed:.2f} matrices"


# ------------------------------------------------------------------ module 14: transformers


@pytest.mark.module14
@pytest.mark.contract
def test_layer_norm_saves_x_hat_and_one_over_sigma(record_property):
    """Guide 14 §3: the LayerNorm Function saves x̂ (384 KiB for (12, 64, 128) float32) and 1/σ
    (3 KiB): 387.5 KiB, against 771.5 KiB for the six-node composed version."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((12, 64, 128), dtype=np.float32), requires_grad=True)
    weight = Tensor(np.ones(128, dtype=np.float32), requires_grad=True)
    bias = Tensor(np.zeros(128, dtype=np.float32), requires_grad=True)
    fused = tc.graph_nbytes(layer_norm(x, 128, weight, bias))
    composed = tc.graph_nbytes(layer_norm_reference(x, 128, weight, bias))
    rows = 12 * 64 * 4
    report(
        record_property,
        "graph memory of LayerNorm over (12, 64, 128) float32 (input 384 KiB)",
        f"{fused / 1024:.1f} KiB ({fused / x.data.nbytes:.3f}x the input); "
        f"composed {composed / 1024:.1f} KiB",
        "x̂ + 1/σ (+ the weight): <= input + 4 bytes per row + 2 x 512 B; <= 0.6x the composed graph",
    )
    assert fused <= x.data.nbytes + rows + 2 * weight.data.nbytes, f"LayerNorm keeps {fused} bytes"
    assert fused <= 0.6 * composed, f"fused {fused} bytes against composed {composed}"


# ------------------------------------------------------------------ module 15: generation


@pytest.mark.module15
@pytest.mark.contract
def test_kv_cache_speeds_up_generation(record_property):
    """Guide 15 §3 (Generation): with a KV cache each step feeds one token instead of
    recomputing the whole context: 5.9x faster for 256 new tokens with block_size 512, the very
    same tokens. Here 2 layers of 128, block_size 256, a 16-token prompt, 128 new tokens."""
    tc.manual_seed(0)
    model = TinyGPT(GPTConfig(block_size=256, n_layer=2, n_head=4, n_embd=128))
    prompt = [list(range(16))]

    def generate(use_cache: bool) -> Tensor:
        return model.generate(prompt, 128, temperature=1.0, top_k=10, seed=0, use_cache=use_cache)

    with one_blas_thread():
        np.testing.assert_array_equal(generate(True).data, generate(False).data)
        cached, uncached = best_times((lambda: generate(True), 1), (lambda: generate(False), 1), rounds=2)
    ratio = uncached / cached
    claim = 5.9
    report(
        record_property,
        "time of generating 128 tokens without / with the KV cache (2 layers of 128, block 256)",
        f"{ratio:.1f}x ({cached * 1e3:.0f} against {uncached * 1e3:.0f} ms, one BLAS thread)",
        f"{claim}x (guide, 4 layers, 256 tokens), asserted >= {claim / 3:.1f}x; identical tokens",
    )
    assert ratio >= claim / 3, f"the KV cache made generation only {ratio:.2f}x faster"


@pytest.mark.module15
@pytest.mark.contract
def test_corpus_stays_uint16_until_a_batch(record_property):
    """Guide 15 §3 (Data): the ids stay uint16 (1.9 MiB for tiny-shakespeare's train split) and a
    batch widens only its own windows: `get_batch("train", 12, 64)` is two gathers of 768 ids,
    12 KiB of int64, never a copy of the corpus (7.7 MiB as int64)."""
    data = ShakespeareDataset("char")
    ids = data.ids("train")
    per_token = ids.nbytes / ids.size
    data.get_batch("train", 12, 64)
    peak, _, (x, y) = traced_peak(lambda: data.get_batch("train", 12, 64))
    report(
        record_property,
        f"memory of the {ids.size:,} train ids of {data.corpus}",
        f"{per_token:.0f} bytes per token ({ids.nbytes / MiB:.2f} MiB); get_batch(12, 64) peaks at "
        f"{peak / 1024:.1f} KiB",
        "uint16 ids; a (12, 64) int64 batch peaks at <= 64 KiB, not at the corpus",
    )
    assert ids.dtype == np.uint16 and per_token == 2
    assert x.shape == y.shape == (12, 64) and x.dtype == y.dtype == np.int64
    assert peak <= 64 * 1024, f"get_batch peaked at {peak} bytes: it widened more than the batch"
