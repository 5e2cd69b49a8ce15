"""Benchmarks of tt-train: the Adam target, the DataLoader rate, then the measurements the guides quote.

- adam-step-1M: one `Adam(fused=True)` step on 1,000,000 float32 parameters
  (one 1000x1000 tensor) against `torch.optim.Adam` (target <= 1.5x PyTorch),
  both on the same number of threads (tinytorch: `set_num_threads`). The
  student's whole-array rule (`fused=False`, the default) is measured in the
  guide group below. The optimizer
  state (`exp_avg`, `exp_avg_sq`) must be exactly 2x the parameter bytes:
  extra_info records the state bytes and memray's peak of a *first* step
  (state allocated + scratch) besides the usual peak of a warm step.
- dataloader-60k-784-b64: one shuffled epoch over 60,000 samples of 784
  float32 features + an int64 label in batches of 64 (938 batches): the
  TensorDataset fast path (one fancy-index per tensor and batch) against the
  per-sample path (`collate_fn=default_collate`) and torch's DataLoader;
  extra_info records batches per second.
- guide groups: optimizer state and step time by optimizer (SGD, momentum,
  Adam as written and fused, amsgrad, and PyTorch's), the Trainer's overhead over a bare loop,
  checkpoint size and save/load time.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import NUMPY_THREADS, epoch, import_torch, peak_memory, record_rate, rng

from tinytorch.core import Tensor
from tinytorch.nn import Linear, Parameter
from tinytorch.train import load_checkpoint, save_checkpoint
from tinytorch.train.data import DataLoader, TensorDataset, default_collate
from tinytorch.train.optim import SGD, Adam, AdamW, Optimizer, get_num_threads, set_num_threads

Measure = Callable[..., Any]
group = pytest.mark.benchmark

PARAM_SHAPE = (1000, 1000)  # 1,000,000 parameters, 4 MB of float32

# Like with like (conftest's thread policy): Adam's update of a large parameter runs
# on as many threads as NumPy's OpenBLAS and PyTorch use.
if NUMPY_THREADS is not None:
    set_num_threads(NUMPY_THREADS)


@pytest.fixture(scope="module")
def param_arrays() -> tuple[np.ndarray, np.ndarray]:
    r = rng()
    return r.standard_normal(PARAM_SHAPE, dtype=np.float32), r.standard_normal(PARAM_SHAPE, dtype=np.float32)


def tt_param(arrays: tuple[np.ndarray, np.ndarray]) -> Parameter:
    p = Parameter(arrays[0].copy())
    p.grad = Tensor(arrays[1] * np.float32(0.01))
    return p


def torch_param(torch: Any, arrays: tuple[np.ndarray, np.ndarray]) -> Any:
    p = torch.nn.Parameter(torch.from_numpy(arrays[0].copy()))
    p.grad = torch.from_numpy(arrays[1] * np.float32(0.01))
    return p


def state_bytes(opt: Optimizer) -> int:
    return sum(v.nbytes for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))


# -------------------------------------------- 1. Adam step on 1M parameters vs PyTorch

ADAM_ROUNDS = 100  # ~2-4 ms each


@group(group="adam-step-1M")
def test_adam_step_tinytorch(
    measure: Measure, param_arrays: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    """Adam(fused=True): in-place NumPy ufuncs into one scratch array, a slice per thread."""
    p = tt_param(param_arrays)
    first_peak = peak_memory(lambda: Adam([p], lr=1e-3, fused=True).step(), tmp_path / "first.bin")
    opt = Adam([p], lr=1e-3, fused=True)
    opt.step()
    measure(
        opt.step,
        role="tinytorch",
        rounds=ADAM_ROUNDS,
        param_bytes=p.data.nbytes,
        state_bytes=state_bytes(opt),
        first_step_peak_bytes=first_peak,
        optimizer_threads=get_num_threads(),
    )


@group(group="adam-step-1M")
def test_adam_step_pytorch(
    measure: Measure, param_arrays: tuple[np.ndarray, np.ndarray], tmp_path: Path
) -> None:
    """torch.optim.Adam's default CPU path (single-tensor, foreach off on CPU)."""
    torch = import_torch()
    p = torch_param(torch, param_arrays)
    first_peak = peak_memory(lambda: torch.optim.Adam([p], lr=1e-3).step(), tmp_path / "first.bin")
    opt = torch.optim.Adam([p], lr=1e-3)
    opt.step()
    state = sum(v.nbytes for s in opt.state.values() for v in s.values() if v.dim() > 0)
    measure(
        opt.step, role="baseline", rounds=ADAM_ROUNDS, state_bytes=state, first_step_peak_bytes=first_peak
    )


# ------------------------------------ 2. DataLoader: one shuffled epoch of 60,000 x 784

N_SAMPLES, N_FEATURES, BATCH = 60_000, 784, 64


@pytest.fixture(scope="module")
def mnist_like() -> tuple[np.ndarray, np.ndarray]:
    r = rng()
    return r.random((N_SAMPLES, N_FEATURES), dtype=np.float32), r.integers(0, 10, N_SAMPLES)


@group(group="dataloader-60k-784-b64")
def test_dataloader_fast_path(
    measure: Measure, benchmark: Any, mnist_like: tuple[np.ndarray, np.ndarray]
) -> None:
    """TensorDataset.get_batch: x[indices], y[indices] per batch (one NumPy gather each)."""
    loader = DataLoader(TensorDataset(*mnist_like), batch_size=BATCH, shuffle=True, seed=0)
    batches = measure(lambda: epoch(loader), role="guide", rounds=10)
    record_rate(benchmark, batches)


@group(group="dataloader-60k-784-b64")
def test_dataloader_per_sample(
    measure: Measure, benchmark: Any, mnist_like: tuple[np.ndarray, np.ndarray]
) -> None:
    """The reference: ds[i] for each sample (two Tensors each), then default_collate's np.stack."""
    loader = DataLoader(
        TensorDataset(*mnist_like), batch_size=BATCH, shuffle=True, seed=0, collate_fn=default_collate
    )
    batches = measure(lambda: epoch(loader), role="baseline", rounds=3, warmup_rounds=1)
    record_rate(benchmark, batches)


@group(group="dataloader-60k-784-b64")
def test_dataloader_pytorch(
    measure: Measure, benchmark: Any, mnist_like: tuple[np.ndarray, np.ndarray]
) -> None:
    """torch.utils.data.DataLoader over a TensorDataset (main process, its default)."""
    torch = import_torch()
    data = torch.utils.data
    dataset = data.TensorDataset(torch.from_numpy(mnist_like[0]), torch.from_numpy(mnist_like[1]))
    loader = data.DataLoader(
        dataset, batch_size=BATCH, shuffle=True, generator=torch.Generator().manual_seed(0)
    )
    batches = measure(lambda: epoch(loader), role="guide", rounds=3, warmup_rounds=1)
    record_rate(benchmark, batches)


# ------------------------------------ guide: optimizer state and step time by optimizer

OPTIMIZERS: dict[str, Callable[[list[Parameter]], Optimizer]] = {
    "sgd": lambda ps: SGD(ps, lr=0.01),
    "sgd-momentum": lambda ps: SGD(ps, lr=0.01, momentum=0.9),
    "adam": lambda ps: Adam(ps, lr=1e-3),  # the rule as the student writes it
    "adam-amsgrad": lambda ps: Adam(ps, lr=1e-3, amsgrad=True),
    "adam-fused": lambda ps: Adam(ps, lr=1e-3, fused=True),  # given: one scratch, slices
    "adam-fused-1-thread": lambda ps: Adam(ps, lr=1e-3, fused=True),  # with set_num_threads(1)
}


@group(group="guide-optimizer-state-1M")
@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_guide_optimizer_state(
    measure: Measure, param_arrays: tuple[np.ndarray, np.ndarray], tmp_path: Path, name: str
) -> None:
    """State bytes after a step, memray peak of the first step, time of a warm step."""
    p = tt_param(param_arrays)
    threads = get_num_threads()
    set_num_threads(1 if name.endswith("1-thread") else threads)
    try:
        first_peak = peak_memory(lambda: OPTIMIZERS[name]([p]).step(), tmp_path / "first.bin")
        opt = OPTIMIZERS[name]([p])
        opt.step()
        measure(
            opt.step,
            role="guide",
            rounds=50,
            param_bytes=p.data.nbytes,
            state_bytes=state_bytes(opt),
            first_step_peak_bytes=first_peak,
        )
    finally:
        set_num_threads(threads)


TORCH_OPTIMIZERS: dict[str, Callable[[Any, list[Any]], Any]] = {
    "sgd": lambda torch, ps: torch.optim.SGD(ps, lr=0.01),
    "sgd-momentum": lambda torch, ps: torch.optim.SGD(ps, lr=0.01, momentum=0.9),
    "adam": lambda torch, ps: torch.optim.Adam(ps, lr=1e-3),
}


@group(group="guide-optimizer-state-1M")
@pytest.mark.parametrize("name", list(TORCH_OPTIMIZERS))
def test_guide_optimizer_state_pytorch(
    measure: Measure, param_arrays: tuple[np.ndarray, np.ndarray], tmp_path: Path, name: str
) -> None:
    """The same optimizers in PyTorch (default CPU paths) for comparison."""
    torch = import_torch()
    p = torch_param(torch, param_arrays)
    first_peak = peak_memory(lambda: TORCH_OPTIMIZERS[name](torch, [p]).step(), tmp_path / "first.bin")
    opt = TORCH_OPTIMIZERS[name](torch, [p])
    opt.step()
    state = sum(v.nbytes for s in opt.state.values() for v in s.values() if getattr(v, "dim", lambda: 0)())
    measure(opt.step, role="guide", rounds=50, state_bytes=state, first_step_peak_bytes=first_peak)


# ------------------------------------------ guide: the Trainer's overhead over a bare loop

EPOCH_BATCHES = 60  # MLP 784-256-10 at batch 64, the network of bench_core's target


@pytest.fixture(scope="module")
def epoch_batches() -> list[tuple[Tensor, Tensor]]:
    r = rng()
    x = r.standard_normal((EPOCH_BATCHES * 64, 784), dtype=np.float32)
    y = r.integers(0, 10, EPOCH_BATCHES * 64)
    return [(Tensor(x[i : i + 64]), Tensor(y[i : i + 64])) for i in range(0, len(x), 64)]


def mlp_784() -> Any:
    from tinytorch.nn import ReLU, Sequential

    return Sequential(Linear(784, 256), ReLU(), Linear(256, 10))


@group(group="guide-trainer-epoch-60x64")
def test_guide_trainer_epoch(measure: Measure, epoch_batches: list[tuple[Tensor, Tensor]]) -> None:
    """Trainer.fit for one epoch: forward, loss, backward, SGD step, accuracy, history."""
    from tinytorch.nn import CrossEntropyLoss
    from tinytorch.train import Trainer

    model = mlp_784()
    trainer = Trainer(
        model, SGD(model.parameters(), lr=0.01, momentum=0.9), CrossEntropyLoss(), progress=False
    )
    measure(lambda: trainer.fit(epoch_batches, epochs=trainer.epoch + 1), role="guide", rounds=10)


@group(group="guide-trainer-epoch-60x64")
def test_guide_bare_loop_epoch(measure: Measure, epoch_batches: list[tuple[Tensor, Tensor]]) -> None:
    """The same epoch as a bare loop: zero_grad, forward, loss, backward, step."""
    from tinytorch.nn import CrossEntropyLoss

    model = mlp_784()
    opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = CrossEntropyLoss()

    def epoch_loop() -> None:
        for x, y in epoch_batches:
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()

    measure(epoch_loop, role="baseline", rounds=10)


# ------------------------------------------- guide: checkpoint of 1M parameters + Adam


@pytest.fixture
def adam_model() -> tuple[Linear, Adam]:
    model = Linear(1000, 1000)  # 1,001,000 parameters
    opt = Adam(model.parameters(), lr=1e-3)
    for p in model.parameters():
        p.grad = Tensor(np.ones(p.shape, dtype=np.float32))
    opt.step()
    return model, opt


@group(group="guide-checkpoint-1M-adam")
def test_guide_checkpoint_save(
    measure: Measure, benchmark: Any, adam_model: tuple[Linear, Adam], tmp_path: Path
) -> None:
    """Model + Adam state to one safetensors file: checksum, write, fsync, rename."""
    model, opt = adam_model
    path = tmp_path / "ck.safetensors"
    measure(lambda: save_checkpoint(path, model, opt, epoch=1), role="guide", rounds=10)
    benchmark.extra_info["file_bytes"] = path.stat().st_size
    benchmark.extra_info["param_bytes"] = sum(p.data.nbytes for p in model.parameters())


@group(group="guide-checkpoint-1M-adam")
def test_guide_checkpoint_load(measure: Measure, adam_model: tuple[Linear, Adam], tmp_path: Path) -> None:
    """Read, verify the checksum and the shapes, copy into the model and the optimizer."""
    model, opt = adam_model
    path = save_checkpoint(tmp_path / "ck.safetensors", model, opt, epoch=1)
    measure(
        lambda: load_checkpoint(path, model, opt), role="guide", rounds=10, file_bytes=path.stat().st_size
    )


# ------------------------------------- guide 11: Adam as written against fused=True, in turns


def adam_rule_vs_fused(rounds: int = 100) -> None:
    """Print guide 11's A/B: warm Adam steps on 1M float32 parameters, the rule as the student
    writes it (`fused=False`) against `fused=True` on 2 threads and on 1, each for `rounds`
    steps in turn (two passes; the better median), with minor page faults per step; then the
    AdamW step's share of a TinyGPT training step (the milestone's model, batch 12x64), the two
    versions' steps alternating. `--retain`: the milestones' malloc policy first
    (`retain_freed_memory`)."""
    import resource
    import statistics
    import sys
    import time

    import tinytorch.core as tc
    from tinytorch.text import GPTConfig, TinyGPT

    if "--retain" in sys.argv:
        tc.retain_freed_memory()
    runs = {
        "rule": ({}, 2),
        "fused, 2 threads": ({"fused": True}, 2),
        "fused, 1 thread": ({"fused": True}, 1),
    }
    best: dict[str, tuple[float, float]] = {}
    for _ in range(2):
        for name, (kwargs, threads) in runs.items():
            arrays = (rng().standard_normal(PARAM_SHAPE, dtype=np.float32),) * 2
            opt = Adam([tt_param(arrays)], lr=1e-3, **kwargs)
            set_num_threads(threads)
            for _ in range(5):
                opt.step()
            faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
            times = []
            for _ in range(rounds):
                start = time.perf_counter()
                opt.step()
                times.append(time.perf_counter() - start)
            faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults) / rounds
            best[name] = min(best.get(name, (np.inf, 0.0)), (statistics.median(times), faults))
    set_num_threads(NUMPY_THREADS or 2)
    rule = best["rule"][0]
    for name, (median, faults) in best.items():
        print(
            f"Adam 1M, {name:17s} {median * 1e3:6.2f} ms, {faults:5.0f} page faults/step, "
            f"rule/this {rule / median:.2f}x"
        )
    data = rng().integers(0, 65, (12, GPTConfig().block_size + 1))
    idx, targets = np.ascontiguousarray(data[:, :-1]), np.ascontiguousarray(data[:, 1:])
    steps: dict[str, list[float]] = {"rule": [], "fused": []}
    opt_times: dict[str, list[float]] = {"rule": [], "fused": []}
    models = {}
    for name in steps:
        tc.manual_seed(0)
        model = TinyGPT(GPTConfig())
        models[name] = (model, AdamW(model.parameters(), lr=1e-3, fused=name == "fused"))
    for i in range(23):
        for name in steps if i % 2 else reversed(steps):
            model, opt = models[name]
            start = time.perf_counter()
            opt.zero_grad()
            model(idx, targets)[1].backward()
            middle = time.perf_counter()
            opt.step()
            end = time.perf_counter()
            if i >= 3:
                steps[name].append(end - start)
                opt_times[name].append(end - middle)
    for name in steps:
        step, adam = statistics.median(steps[name]), statistics.median(opt_times[name])
        print(
            f"TinyGPT step, AdamW {name:5s}: {step * 1e3:6.1f} ms, "
            f"of which the AdamW step {adam * 1e3:5.2f} ms ({adam / step:.1%})"
        )


if __name__ == "__main__":  # $(hatch env find)/bin/python benchmarks/bench_train.py [--retain]
    adam_rule_vs_fused()
