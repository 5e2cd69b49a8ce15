"""Benchmarks of tt-text: the transformer-block and training-step targets, then what guides 13-15 quote.

- transformer-block-12x64x128-fwd-bwd: one pre-norm block (B=12, T=64, C=128,
  4 heads) forward + backward of a fixed upstream gradient, against the same
  block in PyTorch (nanoGPT's, tests/oracle/instructor/; skipped in a student copy) with the
  same weights (target <= 1.5x PyTorch).
- gpt-train-step-4x4x128-b12x64: one training step of the milestone model
  (4 layers, 4 heads, 128 dims, block 64, batch 12, vocab 65): forward, loss,
  backward and an AdamW step, against PyTorch's same model and optimizer.
  Target: training tokens/s >= 0.5x PyTorch's, i.e. step time <= 2x;
  extra_info records tokens_per_step (tokens/s = tokens_per_step / median time).
- guide groups: attention memory by sequence length (the O(T^2) curve, fused,
  composed and PyTorch), KV-cache generation of 256 tokens, fused vs composed
  attention and LayerNorm, the GELU variants, Embedding's scatter-add.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import import_torch, rng

import tinytorch.core as tc
import tinytorch.nn.functional as NF
import tinytorch.text.functional as TF
from tinytorch.core import Tensor
from tinytorch.text import GPTConfig, TinyGPT, TransformerBlock
from tinytorch.text.functional import embedding_backward
from tinytorch.train.optim import AdamW

Measure = Callable[..., Any]
group = pytest.mark.benchmark

BLOCK_GROUP = "transformer-block-12x64x128-fwd-bwd"
STEP_GROUP = "gpt-train-step-4x4x128-b12x64"


ORACLE = Path(__file__).resolve().parents[1] / "packages" / "tt-text" / "tests" / "oracle"


def torch_twins() -> Any:
    """tt_text_oracle (TorchBlock, TorchGPT): the nanoGPT twins the oracle tests use."""
    import_torch()
    if not (ORACLE / "instructor").is_dir():  # a student copy: nanoGPT's model is instructor-only
        pytest.skip("the PyTorch GPT baseline (nanoGPT's model) is instructor-only: not in a student copy")
    if str(ORACLE) not in sys.path:
        sys.path.append(str(ORACLE))
    import tt_text_oracle

    return tt_text_oracle


# ------------------------------- 1. one transformer block, 12 x 64 x 128, 4 heads, fwd + bwd

BLOCK_SHAPE = (12, 64, 128)
BLOCK_ROUNDS = 40


@pytest.fixture(scope="module")
def block_arrays() -> dict[str, np.ndarray]:
    r = rng()
    return {
        "x": r.standard_normal(BLOCK_SHAPE, dtype=np.float32),
        "grad": r.standard_normal(BLOCK_SHAPE, dtype=np.float32),
    }


def tt_block() -> TransformerBlock:
    tc.manual_seed(0)
    return TransformerBlock(128, 4)


@group(group=BLOCK_GROUP)
def test_block_tinytorch(measure: Measure, block_arrays: dict[str, np.ndarray]) -> None:
    """TransformerBlock(128, 4): every parameter's gradient and the input's."""
    block = tt_block()
    x = Tensor(block_arrays["x"], requires_grad=True)
    grad = block_arrays["grad"]
    params = list(block.parameters())

    def step() -> None:
        x.grad = None
        for p in params:
            p.grad = None
        block(x).backward(grad)

    measure(step, role="tinytorch", rounds=BLOCK_ROUNDS, graph_nbytes=tc.graph_nbytes(block(x)))


@group(group=BLOCK_GROUP)
def test_block_pytorch(measure: Measure, block_arrays: dict[str, np.ndarray]) -> None:
    torch = import_torch()
    twin = torch_twins().TorchBlock(128, 4, gelu="tanh")
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in tt_block().state_dict().items()})
    x = torch.tensor(block_arrays["x"], requires_grad=True)
    grad = torch.from_numpy(block_arrays["grad"])

    def step() -> None:
        x.grad = None
        twin.zero_grad(set_to_none=True)
        twin(x).backward(grad)

    measure(step, role="baseline", rounds=BLOCK_ROUNDS)


# ------------------------------- 2. a training step of the milestone model (AdamW included)

STEP_ROUNDS = 20
BATCH, VOCAB = 12, 65
TOKENS_PER_STEP = BATCH * GPTConfig().block_size


@pytest.fixture(scope="module")
def step_batch() -> tuple[np.ndarray, np.ndarray]:
    r = rng()
    data = r.integers(0, VOCAB, (BATCH, GPTConfig().block_size + 1))
    return np.ascontiguousarray(data[:, :-1]), np.ascontiguousarray(data[:, 1:])


@group(group=STEP_GROUP)
def test_train_step_tinytorch(measure: Measure, step_batch: tuple[np.ndarray, np.ndarray]) -> None:
    """TinyGPT(GPTConfig()) forward + cross-entropy + backward + AdamW(lr=1e-3) step."""
    tc.manual_seed(0)
    model = TinyGPT(GPTConfig())
    opt = AdamW(model.parameters(), lr=1e-3)
    idx, targets = step_batch

    def step() -> None:
        opt.zero_grad()
        _, loss = model(idx, targets)
        loss.backward()
        opt.step()

    measure(
        step,
        role="tinytorch",
        rounds=STEP_ROUNDS,
        tokens_per_step=TOKENS_PER_STEP,
        parameters=model.num_parameters(non_embedding=False),
    )


@group(group=STEP_GROUP)
def test_train_step_pytorch(measure: Measure, step_batch: tuple[np.ndarray, np.ndarray]) -> None:
    torch = import_torch()
    config = GPTConfig()
    torch.manual_seed(0)
    model = torch_twins().TorchGPT(config)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    idx, targets = (torch.from_numpy(a) for a in step_batch)

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        _, loss = model(idx, targets)
        loss.backward()
        opt.step()

    measure(
        step,
        role="baseline",
        rounds=STEP_ROUNDS,
        tokens_per_step=TOKENS_PER_STEP,
    )


# ----------------------------- guide 13: attention memory by sequence length (O(T^2))

SEQ_LENGTHS = [64, 128, 256, 512, 1024]
HEADS, HEAD_SIZE = 4, 32


def attention_inputs(length: int) -> list[np.ndarray]:
    r = rng()
    return [r.standard_normal((1, HEADS, length, HEAD_SIZE), dtype=np.float32) for _ in range(4)]


@group(group="guide-attention-memory-by-length")
@pytest.mark.parametrize("version", ["fused", "composed"])
@pytest.mark.parametrize("length", SEQ_LENGTHS)
def test_guide_attention_memory(measure: Measure, length: int, version: str) -> None:
    """Causal attention fwd + bwd, batch 1, 4 heads of 32: peak memory and graph bytes by T.

    The (1, 4, T, T) score matrix is 16 T^2 bytes: 64 KiB at T = 64, 16 MiB at T = 1024.
    """
    fn = TF.scaled_dot_product_attention if version == "fused" else TF.scaled_dot_product_attention_reference
    q, k, v, grad = attention_inputs(length)
    xs = [Tensor(a, requires_grad=True) for a in (q, k, v)]

    def step() -> None:
        for x in xs:
            x.grad = None
        fn(*xs, is_causal=True).backward(grad)

    nbytes = tc.graph_nbytes(fn(*xs, is_causal=True))
    measure(
        step,
        role="guide",
        rounds=5 if length >= 512 else 20,
        length=length,
        graph_nbytes=nbytes,
        score_matrix_bytes=HEADS * length * length * 4,
    )


@group(group="guide-attention-memory-by-length")
@pytest.mark.parametrize("length", SEQ_LENGTHS)
def test_guide_attention_memory_pytorch(measure: Measure, length: int) -> None:
    """torch's F.scaled_dot_product_attention (its CPU kernel picks its own algorithm)."""
    torch = import_torch()
    q, k, v, grad = (torch.from_numpy(a) for a in attention_inputs(length))
    xs = [a.clone().requires_grad_(True) for a in (q, k, v)]

    def step() -> None:
        for x in xs:
            x.grad = None
        torch.nn.functional.scaled_dot_product_attention(*xs, is_causal=True).backward(grad)

    measure(step, role="guide", rounds=5 if length >= 512 else 20, length=length)


# ----------------------------- guide 13: fused attention node vs the composed version


@group(group="guide-attention-12x4x64x32-fwd-bwd")
@pytest.mark.parametrize("version", ["fused", "composed"])
def test_guide_attention_versions(measure: Measure, version: str) -> None:
    fn = TF.scaled_dot_product_attention if version == "fused" else TF.scaled_dot_product_attention_reference
    r = rng()
    xs = [Tensor(r.standard_normal((12, 4, 64, 32), dtype=np.float32), requires_grad=True) for _ in range(3)]
    grad = r.standard_normal((12, 4, 64, 32), dtype=np.float32)

    def step() -> None:
        for x in xs:
            x.grad = None
        fn(*xs, is_causal=True).backward(grad)

    nbytes = tc.graph_nbytes(fn(*xs, is_causal=True))
    measure(step, role="guide" if version == "fused" else "baseline", rounds=50, graph_nbytes=nbytes)


# ----------------------------- guide 14: LayerNorm node vs composed; the GELU variants


@group(group="guide-layernorm-12x64x128-fwd-bwd")
@pytest.mark.parametrize("version", ["fused", "composed"])
def test_guide_layer_norm_versions(measure: Measure, version: str) -> None:
    fn = TF.layer_norm if version == "fused" else TF.layer_norm_reference
    r = rng()
    x = Tensor(r.standard_normal(BLOCK_SHAPE, dtype=np.float32), requires_grad=True)
    w, b = (
        Tensor(np.ones(128, np.float32), requires_grad=True),
        Tensor(np.zeros(128, np.float32), requires_grad=True),
    )
    grad = r.standard_normal(BLOCK_SHAPE, dtype=np.float32)

    def step() -> None:
        x.grad = w.grad = b.grad = None
        fn(x, 128, w, b).backward(grad)

    nbytes = tc.graph_nbytes(fn(x, 128, w, b))
    measure(step, role="guide" if version == "fused" else "baseline", rounds=100, graph_nbytes=nbytes)


GELUS: dict[str, Callable[[Tensor], Tensor]] = {
    "tt-nn-tanh": lambda x: NF.gelu(x, approximate="tanh"),
    "tt-nn-exact": NF.gelu,
}


@group(group="guide-gelu-768x512-fwd-bwd")
@pytest.mark.parametrize("version", list(GELUS))
def test_guide_gelu(measure: Measure, version: str) -> None:
    """The MLP's hidden activations (12 * 64 tokens x 512): forward + backward."""
    r = rng()
    x = Tensor(r.standard_normal((768, 512), dtype=np.float32), requires_grad=True)
    grad = r.standard_normal((768, 512), dtype=np.float32)

    def step() -> None:
        x.grad = None
        GELUS[version](x).backward(grad)

    role = "baseline" if version == "tt-nn-exact" else "guide"
    measure(step, role=role, rounds=50)


@group(group="guide-gelu-768x512-fwd-bwd")
@pytest.mark.parametrize("approximate", ["tanh", "none"])
def test_guide_gelu_pytorch(measure: Measure, approximate: str) -> None:
    torch = import_torch()
    r = rng()
    x = torch.tensor(r.standard_normal((768, 512), dtype=np.float32), requires_grad=True)
    grad = torch.from_numpy(r.standard_normal((768, 512), dtype=np.float32))

    def step() -> None:
        x.grad = None
        torch.nn.functional.gelu(x, approximate=approximate).backward(grad)

    measure(step, role="guide", rounds=50)


def embedding_backward_sorted(grad: np.ndarray, idx: np.ndarray, num_embeddings: int) -> np.ndarray:
    """Embedding's dW by sorting (guide 13 §3's alternative to np.add.at, not in the course): rows
    with equal ids become neighbours and one np.add.reduceat sums each run.
    grad (*, D), idx (*) -> (num_embeddings, D)."""
    flat_idx, flat_grad = idx.reshape(-1), grad.reshape(-1, grad.shape[-1])  # (N,), (N, D)
    dweight = np.zeros((num_embeddings, flat_grad.shape[1]), dtype=grad.dtype)
    order = np.argsort(flat_idx, kind="stable")
    sorted_idx = flat_idx[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_idx[1:] != sorted_idx[:-1])))  # each run's first
    dweight[sorted_idx[starts]] = np.add.reduceat(flat_grad[order], starts, axis=0)
    return dweight


def embedding_cases() -> list[Any]:
    """One group per table size: the speed-up is against np.add.at on the same table."""
    return [
        pytest.param(vocab, version, marks=group(group=f"guide-embedding-backward-768-ids-vocab{vocab}"))
        for vocab in (65, 50257)
        for version in ("sorted-reduceat", "add-at")
    ]


@pytest.mark.parametrize(("vocab", "version"), embedding_cases())
def test_guide_embedding_backward(measure: Measure, vocab: int, version: str) -> None:
    """dW of a (12, 64) batch of ids into a (vocab, 128) table."""
    r = rng()
    idx = r.integers(0, vocab, (12, 64))
    grad = r.standard_normal((12, 64, 128), dtype=np.float32)
    fn = embedding_backward_sorted if version == "sorted-reduceat" else embedding_backward
    assert np.allclose(
        embedding_backward_sorted(grad, idx, vocab), embedding_backward(grad, idx, vocab), atol=1e-4
    )
    measure(
        lambda: fn(grad, idx, vocab), role="guide" if version == "sorted-reduceat" else "baseline", rounds=50
    )


# ----------------------------- guide 15: KV-cache generation, 256 new tokens

KV_CONFIGS = {
    "block512": GPTConfig(block_size=512),  # the cache is used for every one of the 256 steps
    "block64": GPTConfig(),  # the milestone model: past 64 tokens the window slides, no cache
}


def generation_cases() -> list[Any]:
    """One group per model: the speed-up is the cache against no cache on the same model."""
    return [
        pytest.param(name, cache, marks=group(group=f"guide-generate-256-tokens-{name}"), id=f"{name}-{tag}")
        for name in KV_CONFIGS
        for cache, tag in ((True, "kv-cache"), (False, "no-cache"))
    ]


@pytest.mark.parametrize(("config_name", "use_cache"), generation_cases())
def test_guide_generation(measure: Measure, config_name: str, use_cache: bool) -> None:
    """TinyGPT (4 x 4 x 128, vocab 65) continues a 16-token prompt by 256 tokens, batch 1."""
    tc.manual_seed(0)
    model = TinyGPT(KV_CONFIGS[config_name])
    prompt = rng().integers(0, VOCAB, 16)

    def run() -> None:
        model.generate(prompt, 256, temperature=1.0, top_k=10, seed=0, use_cache=use_cache)

    role = "guide" if use_cache else "baseline"
    measure(run, role=role, rounds=3, warmup_rounds=1, new_tokens=256, config=config_name)


# ------------------------------------------- interleaved re-measurement on a shared machine


def interleaved(repeats: int = 6, threads: int = 2) -> None:
    """The two targets measured alternately in one process (tinytorch, PyTorch, tinytorch, ...),
    10 block steps or 5 training steps per turn, 0.3 s pauses: on a machine other processes
    load, the turns where both ran quietly are visible as the low values.

    Run: `hatch run oracle:python benchmarks/bench_text.py [repeats] [threads]`.
    """
    import time

    torch = import_torch()
    twins = torch_twins()
    torch.set_num_threads(threads)
    arrays = {"x": rng().standard_normal(BLOCK_SHAPE, dtype=np.float32)}
    arrays["grad"] = rng().standard_normal(BLOCK_SHAPE, dtype=np.float32) * np.float32(0.5)
    block = tt_block()
    twin = twins.TorchBlock(128, 4, gelu="tanh")
    twin.load_state_dict({k: torch.from_numpy(v) for k, v in block.state_dict().items()})
    x, tx = Tensor(arrays["x"], requires_grad=True), torch.tensor(arrays["x"], requires_grad=True)
    params = list(block.parameters())

    def block_tt() -> None:
        x.grad = None
        for p in params:
            p.grad = None
        block(x).backward(arrays["grad"])

    def block_pt() -> None:
        tx.grad = None
        twin.zero_grad(set_to_none=True)
        twin(tx).backward(torch.from_numpy(arrays["grad"]))

    data = rng().integers(0, VOCAB, (BATCH, GPTConfig().block_size + 1))
    idx, targets = np.ascontiguousarray(data[:, :-1]), np.ascontiguousarray(data[:, 1:])
    model = TinyGPT(GPTConfig())
    opt = AdamW(model.parameters(), lr=1e-3)
    torch_model = twins.TorchGPT(GPTConfig())
    torch_opt = torch.optim.AdamW(torch_model.parameters(), lr=1e-3)
    tidx, ttargets = torch.from_numpy(idx), torch.from_numpy(targets)

    def step_tt() -> None:
        opt.zero_grad()
        model(idx, targets)[1].backward()
        opt.step()

    def step_pt() -> None:
        torch_opt.zero_grad(set_to_none=True)
        torch_model(tidx, ttargets)[1].backward()
        torch_opt.step()

    runs = {"block tinytorch": (block_tt, 10), "block pytorch": (block_pt, 10)}
    runs.update({"step tinytorch": (step_tt, 5), "step pytorch": (step_pt, 5)})
    times: dict[str, list[float]] = {name: [] for name in runs}
    for fn, _ in runs.values():
        fn()
        fn()
    for _ in range(repeats):
        for name, (fn, n) in runs.items():
            time.sleep(PAUSE)
            laps = []
            for _ in range(n):
                start = time.perf_counter()
                fn()
                laps.append(time.perf_counter() - start)
            times[name].append(float(np.median(laps)) * 1e3)
    for name, values in times.items():
        print(f"{name:16s} min {min(values):7.1f} ms   turns: {', '.join(f'{v:.1f}' for v in values)}")
    for what in ("block", "step"):
        ours, theirs = np.array(times[f"{what} tinytorch"]), np.array(times[f"{what} pytorch"])
        ratio_of_minima, median_ratio = ours.min() / theirs.min(), np.median(ours / theirs)
        print(f"{what}: ratio of minima {ratio_of_minima:.2f}, median of turn ratios {median_ratio:.2f}")
    fastest_tt, fastest_pt = min(times["step tinytorch"]), min(times["step pytorch"])
    tokens_tt, tokens_pt = TOKENS_PER_STEP / fastest_tt * 1e3, TOKENS_PER_STEP / fastest_pt * 1e3
    print(f"training tokens/s at the minima: tinytorch {tokens_tt:.0f}, pytorch {tokens_pt:.0f}")


PAUSE = 0.3

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    interleaved(*(int(a) for a in sys.argv[1:3]))
