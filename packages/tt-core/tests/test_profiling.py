"""Module 01: the measuring tools every guide uses."""

import time

import numpy as np
import pytest

from tinytorch.core import measure_time, peak_memory, retain_freed_memory
from tinytorch.core.profiling import format_bytes, format_seconds

pytestmark = pytest.mark.module01


def test_peak_memory_sees_numpy_buffers():
    with peak_memory() as mem:
        a = np.ones(1_000_000, dtype=np.float64)  # 8 MB
        del a
    assert 8_000_000 <= mem.peak_bytes < 9_000_000
    assert mem.net_bytes < 100_000  # freed again


def test_peak_memory_counts_what_is_kept():
    with peak_memory() as mem:
        kept = np.zeros(250_000, dtype=np.float32)  # 1 MB
    assert 1_000_000 <= mem.net_bytes < 1_100_000
    assert mem.peak_bytes >= mem.net_bytes
    assert kept.nbytes == 1_000_000


def test_peak_memory_refuses_nesting():
    with peak_memory(), pytest.raises(RuntimeError, match="already tracing"), peak_memory():
        pass


def test_measure_time_counts_calls_and_reports_median():
    calls = []

    def work():
        calls.append(1)
        time.sleep(0.002)

    timing = measure_time(work, warmup=2, repeats=5)
    assert len(calls) == 7
    assert len(timing.times) == 5
    assert 0.002 <= timing.min <= timing.median < 0.05
    assert timing.median == sorted(timing.times)[2]


def test_measure_time_passes_arguments():
    seen = []
    measure_time(lambda a, b=0: seen.append((a, b)), 1, b=2, warmup=0, repeats=1)
    assert seen == [(1, 2)]


def test_measure_time_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats"):
        measure_time(lambda: None, repeats=0)


def test_formatting():
    assert format_bytes(512) == "512 B"
    assert format_bytes(3 * 1024**2) == "3.0 MiB"
    assert format_seconds(0.0025) == "2.50 ms"
    assert format_seconds(2e-6) == "2.0 µs"


def test_retain_freed_memory():
    """Applied on Linux with glibc (mallopt accepts every setting); False, changing nothing, elsewhere."""
    import sys

    applied = retain_freed_memory()
    assert applied is (sys.platform.startswith("linux") and _is_glibc())
    with pytest.raises(ValueError, match="mmap_threshold must be an int >= 0"):
        retain_freed_memory(mmap_threshold=-1)


def _is_glibc() -> bool:
    import platform

    return platform.libc_ver()[0] == "glibc"
