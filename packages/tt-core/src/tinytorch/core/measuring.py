"""Given code the contract tests (``tests/test_contracts.py`` of every package) measure with.

Not part of any module's solution: the contracts time and trace the student's code with these,
so a stripped or unfinished module 01 (the student's own timer) does not break them. Speed is
compared in one run (versions timed in turns, best round, garbage collector off, GEMMs on one
BLAS thread); memory is traced by ``tracemalloc``, to which NumPy reports its buffers.
"""

from __future__ import annotations

import ctypes
import gc
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

__all__ = ["best_times", "one_blas_thread", "report", "traced_peak"]


def report(record_property: Callable[[str, object], None], what: str, value: str, rule: str) -> None:
    """Print ``measure: <what> = <value> (contract: <rule>)`` and record it for the run's report."""
    line = f"{what} = {value} (contract: {rule})"
    print(f"\nmeasure: {line}")
    record_property("measure", line)


def traced_peak(fn: Callable[[], Any]) -> tuple[int, int, Any]:
    """(peak bytes above the start, bytes still held at the end, fn's result), by tracemalloc."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    try:
        result = fn()
        end, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - start, end - start, result


def best_times(*cases: tuple[Callable[[], Any], int], rounds: int) -> list[float]:
    """Seconds per call of each (fn, calls per round): the fastest of `rounds` rounds, in turns.

    The cyclic garbage collector is off while timing, as in `timeit`: in a long test session
    its full collections scan every object alive and would land on whichever version allocates
    more containers.
    """
    best = [float("inf")] * len(cases)
    enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(rounds):
            for i, (fn, number) in enumerate(cases):
                start = time.perf_counter()
                for _ in range(number):
                    fn()
                best[i] = min(best[i], (time.perf_counter() - start) / number)
    finally:
        if enabled:
            gc.enable()
    return best


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """OpenBLAS on one thread while timing (when NumPy uses it and it can be found).

    On a shared 2-core machine a two-thread GEMM waits for whichever thread lost its core,
    and runs 2-30x slower (the module 09 guide measures it); one thread is steady.
    """
    symbols = [  # (set, get): NumPy's wheels, then system OpenBLAS builds
        ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
        ("openblas_set_num_threads64_", "openblas_get_num_threads64_"),
        ("openblas_set_num_threads", "openblas_get_num_threads"),
    ]
    calls = None
    try:
        maps = Path("/proc/self/maps").read_text()
        for lib in sorted({ln.split()[-1] for ln in maps.splitlines() if "openblas" in ln and ".so" in ln}):
            handle = ctypes.CDLL(lib)
            calls = next(
                ((getattr(handle, s), getattr(handle, g)) for s, g in symbols if hasattr(handle, s)), None
            )
            if calls is not None:
                break
    except OSError:
        calls = None
    if calls is None:
        yield
        return
    set_threads, get_threads = calls
    threads = int(get_threads())
    set_threads(1)
    try:
        yield
    finally:
        set_threads(threads)
