"""Measuring tools used by every module guide (module 01).

- `peak_memory()`: the peak bytes allocated inside a `with` block, counted by
  `tracemalloc` (which sees NumPy's array buffers as well as Python objects).
- `measure_time(fn)`: warm-up calls, then repeated timed calls; the median is
  the number to quote (robust to the odd slow run).
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


@dataclass
class MemoryReport:
    """Filled in when the `with peak_memory()` block ends."""

    peak_bytes: int = 0  # highest allocation level above the start of the block
    net_bytes: int = 0  # still allocated at the end (e.g. results kept)

    def __str__(self) -> str:
        return f"peak {format_bytes(self.peak_bytes)}, net {format_bytes(self.net_bytes)}"


@contextmanager
def peak_memory() -> Iterator[MemoryReport]:
    """`with peak_memory() as mem: ...` then read `mem.peak_bytes`."""
    ### BEGIN SOLUTION 01
    if tracemalloc.is_tracing():
        raise RuntimeError("peak_memory: tracemalloc is already tracing (nested peak_memory?)")
    report = MemoryReport()
    tracemalloc.start()
    try:
        start, _ = tracemalloc.get_traced_memory()
        yield report
        end, peak = tracemalloc.get_traced_memory()
        report.peak_bytes = peak - start
        report.net_bytes = end - start
    finally:
        tracemalloc.stop()
    ### END SOLUTION


@dataclass(frozen=True)
class Timing:
    """Seconds per call over `repeats` timed calls."""

    times: tuple[float, ...] = field(repr=False)

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    def __str__(self) -> str:
        return (
            f"median {format_seconds(self.median)} (min {format_seconds(self.min)}, {len(self.times)} runs)"
        )


def measure_time(
    fn: Callable[..., Any], *args: Any, warmup: int = 3, repeats: int = 20, **kwargs: Any
) -> Timing:
    """Call fn(*args, **kwargs) `warmup` times untimed, then `repeats` times timed."""
    ### BEGIN SOLUTION 01
    if repeats < 1 or warmup < 0:
        raise ValueError(f"measure_time: need repeats >= 1 and warmup >= 0, got {repeats}, {warmup}")
    for _ in range(warmup):
        fn(*args, **kwargs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return Timing(tuple(times))
    ### END SOLUTION


def format_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def format_seconds(s: float) -> str:
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"
