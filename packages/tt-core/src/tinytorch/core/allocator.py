"""Memory for training loops: keep freed memory for the next step.

Two tools, both given code: `retain_freed_memory()` sets the C allocator's policy
for the whole process; `Workspace` (below) is a cache of big arrays that the fast
conv and pooling ops reuse by reference count.

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
import math
import sys
import threading
from typing import Any

import numpy as np

__all__ = ["WORKSPACE", "Workspace", "retain_freed_memory"]

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


class Workspace:
    """A cache of big arrays, handed out again once nothing references them.

    A training step allocates the same large arrays every time (cols, outputs,
    gradients), and a fresh multi-megabyte array costs more than filling it:
    glibc returns freed memory to the kernel, and every page of the next
    allocation faults back in, zeroed. Like PyTorch's caching allocator, the
    fast ops keep their big arrays and reuse one when CPython's reference count
    shows that nothing else holds it (no Tensor, view, graph node or caller):
    reuse is invisible, except that memory stays allocated between steps.
    At most `per_shape` arrays per (shape, dtype) and `max_bytes` in all are
    kept; `clear()` drops them.

    The reference-count rule: a kept array is free when `sys.getrefcount` sees only
    the workspace's own references (its list, the loop variable, getrefcount's
    argument: 3). Any other holder (a Tensor, a view's `.base`, a graph node's saved
    arrays, a caller's variable) raises the count, so an array in use is never
    handed out twice. This relies on CPython's reference counting; a lock makes the
    check-and-hand-out atomic across threads. Users: the fast conv and pooling ops
    (tt-vision), whose arrays are large and the same shape at every step.
    """

    def __init__(self, per_shape: int = 2, min_bytes: int = 1 << 16, max_bytes: int = 1 << 28) -> None:
        self.per_shape = per_shape
        self.min_bytes = min_bytes  # smaller arrays come from NumPy's (cheap) allocation
        self.max_bytes = max_bytes
        self.kept: dict[tuple[tuple[int, ...], np.dtype], list[np.ndarray]] = {}
        self.nbytes = 0
        self._lock = threading.Lock()

    def empty(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """An uninitialised array: a free kept one, or a new one (kept if there is room)."""
        dtype = np.dtype(dtype)
        size = math.prod(shape) * dtype.itemsize
        if size < self.min_bytes:
            return np.empty(shape, dtype=dtype)
        with self._lock:
            arrays = self.kept.setdefault((tuple(shape), dtype), [])
            for array in arrays:
                # 3 references: the list, the loop variable, getrefcount's argument. Any
                # other holder (a Tensor, a view's .base, a graph node) makes it more.
                if sys.getrefcount(array) == 3:
                    return array
            array = np.empty(shape, dtype=dtype)
            if len(arrays) < self.per_shape and self.nbytes + size <= self.max_bytes:
                arrays.append(array)
                self.nbytes += size
            return array

    def zeros(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        array = self.empty(shape, dtype)
        array.fill(0)
        return array

    def clear(self) -> None:
        with self._lock:
            self.kept.clear()
            self.nbytes = 0


WORKSPACE = Workspace()


WORKSPACE = Workspace()  # the process-wide cache the fast ops share
