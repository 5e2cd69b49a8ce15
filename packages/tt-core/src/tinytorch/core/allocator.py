"""The C allocator's policy for training loops: keep freed memory for the next step.

A training step allocates the same large arrays (activations, gradients,
im2col matrices) and frees them again, step after step. glibc's malloc serves
blocks above its mmap threshold (128 KiB, raised dynamically up to 32 MiB)
with fresh `mmap` pages and returns them on free, and trims the heap top
above 128 KiB: every step then page-faults its arrays in again, the kernel
zeroing every page (guide 01 has the measured difference and its command).

`retain_freed_memory()` asks glibc to keep freed memory in the process:
blocks up to `mmap_threshold` (default 32 MiB, the largest value glibc
documents for 64-bit systems) come from the heap, the heap is trimmed only
above `trim_threshold`, and it grows `top_pad` bytes at a time. The cost is
resident memory: the process keeps its peak. It changes the whole process
(NumPy, PyTorch, everything), so the library never calls it on import; the
milestone scripts call it. Same effect without code: the environment variables
MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ and MALLOC_TOP_PAD_.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["retain_freed_memory"]

# mallopt parameters, from glibc's malloc.h
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3


def retain_freed_memory(
    mmap_threshold: int = 32 * 2**20, trim_threshold: int = 2**30, top_pad: int = 64 * 2**20
) -> bool:
    """Set glibc's malloc policy for this process (see the module doc); True if it was applied.

    Returns False, changing nothing, where the C library is not glibc (macOS,
    Windows, musl): those allocators have their own policies.
    """
    for name, value in (("mmap_threshold", mmap_threshold), ("trim_threshold", trim_threshold)):
        if not isinstance(value, int) or value < 0:
            raise ValueError(f"retain_freed_memory: {name} must be an int >= 0, got {value!r}")
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    settings = (
        (_M_MMAP_THRESHOLD, mmap_threshold),
        (_M_TRIM_THRESHOLD, trim_threshold),
        (_M_TOP_PAD, top_pad),
    )
    return all(mallopt(param, value) == 1 for param, value in settings)  # mallopt returns 1 on success
