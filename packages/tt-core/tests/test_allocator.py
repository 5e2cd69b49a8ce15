"""The workspace (tinytorch.core.allocator): a kept array is handed out again only when
nothing else references it, within its limits. Given code, used by tt-vision's fast ops."""

import threading

import numpy as np
import pytest

from tinytorch.core import Tensor
from tinytorch.core.allocator import Workspace

pytestmark = pytest.mark.module01

BIG = (256, 256)  # 256 KiB of float32: above min_bytes


def test_a_free_array_is_reused_and_one_in_use_is_not():
    ws = Workspace()
    a = ws.empty(BIG, np.float32)
    b = ws.empty(BIG, np.float32)
    assert a is not b  # a is still held here
    a_id = id(a)
    del a
    assert id(ws.empty(BIG, np.float32)) == a_id  # nothing held it: handed out again

    for hold in (Tensor.wrap, lambda x: x[1:], lambda x: [x]):  # a Tensor, a view, a list
        ws = Workspace()
        array = ws.empty(BIG, np.float32)
        holder = hold(array)
        del array  # only `holder` references it now
        again = [ws.empty(BIG, np.float32) for _ in range(3)]
        assert holder is not None and not any(np.shares_memory(a, _array(holder)) for a in again)


def _array(holder):
    return holder.data if isinstance(holder, Tensor) else holder[0] if isinstance(holder, list) else holder


def test_limits_small_arrays_dtypes_and_clear():
    ws = Workspace(per_shape=2, max_bytes=3 * 256 * 1024)
    held = [ws.empty(BIG, np.float32) for _ in range(4)]
    assert ws.nbytes == 2 * 256 * 1024  # per_shape: two kept
    assert len(ws.kept[(BIG, np.dtype(np.float32))]) == 2
    ws.empty((512, 256), np.float32)  # a second shape: 512 KiB would pass max_bytes, not kept
    assert ws.nbytes == 2 * 256 * 1024
    small = ws.empty((4, 4), np.float32)
    assert small.shape == (4, 4) and ws.nbytes == 2 * 256 * 1024  # below min_bytes: never kept
    other = ws.empty(BIG, np.float64)
    assert other.dtype == np.float64 and not any(other is h for h in held)
    z = ws.zeros(BIG, np.float32)
    assert not z.any()
    ws.clear()
    assert ws.nbytes == 0 and ws.kept == {}


def test_threads_never_get_the_same_array():
    ws = Workspace(per_shape=4)
    got: list = []

    def take():
        for _ in range(50):
            got.append(ws.empty(BIG, np.float32))  # each stays held in `got`

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(a) for a in got}) == len(got)
