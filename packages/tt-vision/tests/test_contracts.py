"""Contracts of modules 09 and 10 (MNIST): the memory and speed figures their guides teach,
measured on the student's code (``tinytorch measure NN`` runs these alone and shows the numbers).

Memory is measured deterministically: ``graph_nbytes``, array ``nbytes``, ``tracemalloc`` peaks
(NumPy reports its buffers to it). Speed is a ratio of two versions timed in the same run, in
turns, best of several rounds, GEMMs on one BLAS thread, and asserted at 1/3 of the guide's
factor for a shared 2-core machine. The helpers use ``time`` and ``tracemalloc`` directly, not
module 01's tools. The MNIST contract loads the real data the way the real-data tests of
``test_mnist.py`` do: through the users' lookup (``$TINYTORCH_DATA`` first). Each test prints
one ``measure: ...`` line and records it as the ``measure`` property.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch.core as tc
import tinytorch.vision.functional as VF
from tinytorch.core import Tensor
from tinytorch.core.measuring import best_times, one_blas_thread, report, traced_peak
from tinytorch.train import DataLoader, default_collate
from tinytorch.vision import MNIST

MiB = 1024 * 1024


# ------------------------------------------------------------------ module 09: convolution


def conv_inputs(batch: int, requires_grad: bool = False) -> tuple[Tensor, Tensor, Tensor]:
    """The milestone CNN's second conv: (B, 16, 13, 13) -> (B, 32, 11, 11), 3x3 kernels."""
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((batch, 16, 13, 13), dtype=np.float32))
    w = Tensor(
        rng.standard_normal((32, 16, 3, 3), dtype=np.float32) * np.float32(0.1), requires_grad=requires_grad
    )
    b = Tensor(np.zeros(32, dtype=np.float32), requires_grad=requires_grad)
    return x, w, b


@pytest.mark.module09
@pytest.mark.contract
def test_fast_conv_is_far_faster_than_the_loop(record_property):
    """Guide 09 §3: im2col + one GEMM runs the milestone's second conv >= 100x faster than the
    loop version (1404x measured at batch 64, 957x on one thread). Here at batch 4, so that the
    loop takes tens of milliseconds, not a second."""
    x, w, b = conv_inputs(batch=4)
    np.testing.assert_allclose(
        VF.conv2d(x, w, b).data, VF.conv2d_reference(x, w, b).data, rtol=1e-4, atol=1e-4
    )
    with one_blas_thread():
        fast, loop = best_times(
            (lambda: VF.conv2d(x, w, b), 20), (lambda: VF.conv2d_reference(x, w, b), 1), rounds=2
        )
    ratio = loop / fast
    claim = 100
    report(
        record_property,
        "time of the loop conv / the im2col conv, (4, 16, 13, 13) -> (4, 32, 11, 11), 3x3",
        f"{ratio:.0f}x ({fast * 1e6:.0f} µs against {loop * 1e3:.1f} ms, one BLAS thread)",
        f">= {claim}x, asserted >= {claim / 3:.0f}x for noisy machines",
    )
    assert ratio >= claim / 3, f"the fast conv is only {ratio:.1f}x faster than the loop"


@pytest.mark.module09
@pytest.mark.contract
def test_im2col_keeps_k_squared_copies_of_the_input(record_property):
    """Guide 09 §3: `cols` holds every window, C·kh·kw·OH·OW·B values, about K² times the input:
    for the second conv at batch 64 the graph keeps 4.3 MiB (cols + W) against an input of
    676 KiB (6.4x); the loop version keeps just the padded input."""
    batch = 64
    x, w, b = conv_inputs(batch, requires_grad=True)
    graph = tc.graph_nbytes(VF.conv2d(x, w, b))
    small = conv_inputs(batch=2, requires_grad=True)  # the loop version at batch 64 takes a second
    loop_saved = tc.graph_nbytes(VF.conv2d_reference(*small)) - small[1].data.nbytes  # less W
    loop_graph = loop_saved / small[0].data.nbytes
    cols = 16 * 3 * 3 * 11 * 11 * batch * 4
    report(
        record_property,
        "graph memory of the im2col conv (64, 16, 13, 13) -> (64, 32, 11, 11), in input sizes (676 KiB)",
        f"{graph / x.data.nbytes:.2f}x ({graph / MiB:.2f} MiB; the loop version, at batch 2: "
        f"W + {loop_graph:.2f}x)",
        "O(B·C·H·W·K²): at most cols (C·kh·kw·OH·OW·B floats) + W, 4.3 MiB here",
    )
    assert graph <= cols + w.data.nbytes + 1024, f"the conv's graph keeps {graph} bytes, cols + W is {cols}"
    assert loop_graph <= 1.1, f"the loop version keeps W + {loop_graph:.2f}x its input, not the padded input"


# ------------------------------------------------------------------ module 10: MNIST


def one_epoch(loader: DataLoader) -> int:
    return sum(1 for _ in loader)


@pytest.fixture(scope="module")
def mnist_test_split() -> MNIST:
    """The real test split, through the users' lookup (no test doubles), as in test_mnist.py."""
    return MNIST(train=False)


@pytest.mark.module10
@pytest.mark.contract
def test_mnist_keeps_the_bytes_and_converts_the_batch(record_property, mnist_test_split):
    """Guide 10-mnist §3: the training set is held as uint8, 1 byte per pixel (45.3 MiB, against
    179.9 MiB as float32); a shuffled epoch converts one batch at a time and peaks at a few
    float32 batches (913 KiB), not at the data set."""
    train = MNIST(train=True)
    pixels = train.data.size
    bytes_per_pixel = train.data.nbytes / pixels
    loader = DataLoader(mnist_test_split, batch_size=64, shuffle=True, seed=0)
    peak = traced_peak(lambda: one_epoch(loader))[0]
    batch = 64 * 784 * 4 + 64 * 8  # float32 images, int64 labels
    permutation = len(mnist_test_split) * 8
    report(
        record_property,
        "MNIST training images held in memory",
        f"{bytes_per_pixel:.2f} byte per pixel ({train.data.nbytes / MiB:.1f} MiB); a shuffled epoch "
        f"of the test split peaks at {(peak - permutation) / batch:.2f} float32 batches + the permutation",
        "uint8, 1 byte per pixel; an epoch peaks at <= 3 float32 batches of 64 + the int64 permutation",
    )
    assert train.data.dtype == np.uint8 and bytes_per_pixel == 1.0
    assert train.data.shape == (60_000, 28, 28)
    assert peak <= 3 * batch + permutation, f"an epoch peaked at {peak} bytes"


@pytest.mark.module10
@pytest.mark.contract
def test_mnist_batches_beat_samples(record_property, mnist_test_split):
    """Guide 10-mnist §3: the fast path (gather uint8, convert, divide once per batch) runs an
    epoch 8.4x faster than building every image in Python (`default_collate`): 76 against
    639 ms for the training set."""
    fast = DataLoader(mnist_test_split, batch_size=64, shuffle=True, seed=0)
    per_sample = DataLoader(mnist_test_split, batch_size=64, shuffle=True, seed=0, collate_fn=default_collate)
    fast_time, slow_time = best_times(
        (lambda: one_epoch(fast), 2), (lambda: one_epoch(per_sample), 1), rounds=2
    )
    ratio = slow_time / fast_time
    claim = 8.4
    report(
        record_property,
        f"time of a per-sample MNIST epoch / a get_batch epoch, {len(mnist_test_split):,} images, batch 64",
        f"{ratio:.1f}x ({fast_time * 1e3:.1f} against {slow_time * 1e3:.1f} ms)",
        f"{claim}x, asserted >= {claim / 3:.1f}x for noisy machines",
    )
    assert ratio >= claim / 3, f"the fast path is only {ratio:.1f}x faster than per-sample images"
