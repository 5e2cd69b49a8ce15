"""Shared machinery of the benchmark suite (benchmarks, not tests: run them with `hatch run bench`).

- `TARGETS`: the speed targets, declared here and nowhere else.
- `measure`: times a function with pytest-benchmark (median of fixed rounds) and
  records the peak memory of one more call, measured with memray, in
  `benchmark.extra_info` (so both land in pytest-benchmark's JSON).
- Thread policy: PyTorch gets as many intra-op threads as NumPy's OpenBLAS has
  (both use all cores by default; we pin PyTorch to OpenBLAS's count so that a
  machine where the defaults differ still compares like with like). Both counts
  are recorded in the machine info and in every benchmark's extra_info.
- A 0.3 s pause before every benchmark: OpenBLAS threads spin for ~0.1 s after
  a call and would steal a core from the next benchmark.
- Contention check: the share of the machine's CPU that *other* processes used
  while a benchmark ran (its pause included) is stored as `others_cpu_share`;
  the summary warns when it is high, since the numbers are then unreliable.
- Files named `bench_*.py` are collected here, so `pytest packages` (the test
  command) never sees them.
"""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import memray
import numpy as np
import pytest

try:  # PyTorch is only a baseline: without it the torch benchmarks are skipped.
    import torch
except ImportError:
    torch = None  # type: ignore[assignment]


@dataclass(frozen=True)
class Target:
    """tinytorch median / baseline median must be <= max_ratio."""

    max_ratio: float
    baseline: str  # "numpy", "pytorch" or "loop" (the readable reference implementation)
    text: str  # the target as the issue states it


# benchmark group -> target; the other groups are guide measurements without a target.
TARGETS: dict[str, Target] = {
    "matmul-1024-fp32": Target(1 / 0.95, "numpy", ">= 0.95x NumPy speed"),
    "op-chain-1000-fwd-bwd": Target(2.0, "pytorch", "<= 2x PyTorch per op"),
    "mlp-784-256-10-b64-fwd-bwd": Target(1.5, "pytorch", "<= 1.5x PyTorch"),
    "linear-784-256-b64-fwd-bwd": Target(1.5, "pytorch", "<= 1.5x PyTorch"),
    "adam-step-1M": Target(1.5, "pytorch", "<= 1.5x PyTorch"),
    "mnist-cnn-b64-train-step": Target(2.0, "pytorch", "<= 2x PyTorch"),
    # baseline = the readable loop version: fast / loop <= 0.01 means >= 100x faster
    "conv2d-16to32-13x13-b64-fwd-fast-vs-loop": Target(0.01, "loop", ">= 100x faster than the loop version"),
    "transformer-block-12x64x128-fwd-bwd": Target(1.5, "pytorch", "<= 1.5x PyTorch"),
    # time per step <= 2x PyTorch's is training tokens/s >= 0.5x PyTorch's
    "gpt-train-step-4x4x128-b12x64": Target(2.0, "pytorch", ">= 0.5x PyTorch training tokens/s"),
}

PAUSE_SECONDS = 0.3


def rng() -> np.random.Generator:
    """The same seeded inputs for tinytorch and its baseline."""
    return np.random.default_rng(0)


def import_torch() -> Any:
    """PyTorch, or skip this baseline: benchmarks, not tests, so a machine without
    torch still measures the tinytorch side and reports the baseline as not measured."""
    return pytest.importorskip("torch")


def epoch(loader: Any) -> int:
    """Iterate once over a DataLoader-like `loader`; the number of batches."""
    count = 0
    for _x, _y in loader:
        count += 1
    return count


def record_rate(benchmark: Any, batches: int) -> None:
    """Store the batches per epoch and the batches per second (from the median) in extra_info."""
    benchmark.extra_info["batches"] = batches
    benchmark.extra_info["batches_per_second"] = round(batches / benchmark.stats.stats.median)


def openblas_threads() -> int | None:
    """The thread count of the OpenBLAS NumPy is linked with, or None if not found."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    libs = {line.split()[-1] for line in maps.splitlines() if "openblas" in line and ".so" in line}
    symbols = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_", "openblas_get_num_threads")
    for lib in libs:
        handle = ctypes.CDLL(lib)
        for symbol in symbols:
            if hasattr(handle, symbol):
                return int(getattr(handle, symbol)())
    return None


NUMPY_THREADS = openblas_threads()
if torch is not None and NUMPY_THREADS is not None:
    torch.set_num_threads(NUMPY_THREADS)


def thread_info() -> dict[str, Any]:
    return {
        "numpy_threads": NUMPY_THREADS,
        "torch_threads": torch.get_num_threads() if torch is not None else None,
    }


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect `bench_*.py` (the default pattern only picks up `test_*.py`)."""
    if file_path.suffix == ".py" and file_path.name.startswith("bench_"):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict[str, Any]) -> None:
    machine_info.update(thread_info())
    machine_info["numpy_version"] = np.__version__
    machine_info["torch_version"] = torch.__version__ if torch is not None else None


@dataclass(frozen=True)
class CpuSnapshot:
    machine: float | None  # CPU seconds used by all processes since boot (None: unknown)
    own: float  # CPU seconds used by this process, all threads
    wall: float


def cpu_snapshot() -> CpuSnapshot:
    """Read the machine's busy CPU time from /proc/stat (Linux; None elsewhere)."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[1:9])
        machine = (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        machine = None
    return CpuSnapshot(machine, time.process_time(), time.perf_counter())


def others_cpu_share(start: CpuSnapshot) -> float | None:
    """Fraction of all cores that other processes kept busy since `start` (0 on an idle machine)."""
    end = cpu_snapshot()
    if start.machine is None or end.machine is None:
        return None
    others = (end.machine - start.machine) - (end.own - start.own)
    return max(0.0, others / ((end.wall - start.wall) * (os.cpu_count() or 1)))


@pytest.fixture(autouse=True)
def pause() -> CpuSnapshot:
    """Let OpenBLAS's spinning threads go idle before the next benchmark starts.

    Returns the CPU snapshot taken before the pause, so that the contention
    check covers at least 0.3 s (/proc/stat counts in 10 ms ticks)."""
    start = cpu_snapshot()
    time.sleep(PAUSE_SECONDS)
    return start


def peak_memory(fn: Callable[[], Any], path: Path) -> int:
    """Peak bytes allocated during one call of `fn` (its result included), via memray.

    Python's own allocator is traced too, so small Python objects (graph nodes,
    Tensor wrappers) are counted exactly rather than as whole pymalloc arenas.
    """
    with memray.Tracker(path, trace_python_allocators=True):
        result = fn()
    del result
    peak = memray.FileReader(path).metadata.peak_memory
    path.unlink()
    return peak


Measure = Callable[..., Any]


@pytest.fixture
def measure(benchmark: Any, tmp_path: Path, pause: CpuSnapshot) -> Measure:
    """`measure(fn, role=..., rounds=...)`: time `fn` and record its peak memory.

    role: "tinytorch" (the code under test), "baseline" (NumPy / PyTorch / a
    Python loop to compare with) or "guide" (a measurement quoted by a module
    guide). Extra keyword arguments go into extra_info as they are.
    """

    def run(
        fn: Callable[[], Any],
        *,
        role: str,
        rounds: int,
        iterations: int = 1,
        warmup_rounds: int = 3,
        **extra: Any,
    ) -> Any:
        result = benchmark.pedantic(fn, rounds=rounds, iterations=iterations, warmup_rounds=warmup_rounds)
        info = benchmark.extra_info
        info.update(role=role, **thread_info(), others_cpu_share=others_cpu_share(pause), **extra)
        target = TARGETS.get(benchmark.group or "")
        if target is not None and role == "tinytorch":
            info.update(target_max_ratio=target.max_ratio, target=target.text, baseline=target.baseline)
        info["peak_memory_bytes"] = peak_memory(fn, tmp_path / "memray.bin")
        return result

    return run
