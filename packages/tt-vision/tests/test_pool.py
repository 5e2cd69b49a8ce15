"""Module 09: max_pool2d / avg_pool2d and their modules — fast vs loop, ties, gradcheck, errors.

Forward values are compared with PyTorch's F.max_pool2d / F.avg_pool2d in float64, stored with
their inputs in tests/fixtures/pool.npz (`hatch run oracle:test` compares with PyTorch directly).
"""

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import Tensor
from tinytorch.core.testing import forbid
from tinytorch.vision import AvgPool2d, MaxPool2d
from tinytorch.vision import functional as VF

pytestmark = pytest.mark.module09

# (shape, kernel, stride, padding)
CONFIGS = [
    ((2, 3, 8, 8), 2, None, 0),
    ((2, 2, 11, 11), 2, None, 0),  # odd: the last row and column fall outside every window
    ((1, 2, 7, 9), 3, 2, 1),
    ((2, 1, 6, 6), 3, 1, 1),  # overlapping windows
    ((1, 3, 9, 7), (3, 2), (2, 1), (1, 0)),
    ((2, 2, 5, 5), 5, None, 2),
    ((1, 1, 4, 6), 1, 2, 0),
]
IDS = [f"{'x'.join(map(str, c[0]))}-k{c[1]}-s{c[2]}-p{c[3]}" for c in CONFIGS]
POOLS = {"max": (VF.max_pool2d, VF.max_pool2d_reference), "avg": (VF.avg_pool2d, VF.avg_pool2d_reference)}


@pytest.mark.parametrize("case", IDS)
@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("version", [0, 1], ids=["fast", "loop"])
def test_pool_forward_matches_pytorchs_and_gradcheck(case, kind, version, stored):
    config = CONFIGS[IDS.index(case)]
    shape, kernel, stride, padding = config
    fn = POOLS[kind][version]
    data = stored("pool", f"{case}/")
    x = Tensor(data["x"], requires_grad=True)
    assert x.shape == shape
    out = fn(x, kernel, stride, padding)
    assert out.shape == data[kind].shape
    np.testing.assert_allclose(out.data, data[kind], rtol=1e-12, atol=1e-15)
    assert tc.gradcheck(lambda t: fn(t, kernel, stride, padding), x)


@pytest.mark.parametrize("config", CONFIGS, ids=IDS)
@pytest.mark.parametrize("kind", POOLS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_fast_pool_equals_the_loop_version_forward_and_backward(config, kind, dtype):
    shape, kernel, stride, padding = config
    r = np.random.default_rng(2)
    data = np.maximum(r.standard_normal(shape), 0).astype(dtype)  # ReLU'd: many tied windows of zeros
    results = []
    for fn in POOLS[kind]:
        x = Tensor(data, requires_grad=True)
        out = fn(x, kernel, stride, padding)
        out.backward(np.random.default_rng(3).standard_normal(out.shape).astype(dtype))
        assert out.dtype == dtype and x.grad.dtype == dtype
        results.append((out.data, x.grad.data))
    for fast, loop in zip(*results, strict=True):
        np.testing.assert_allclose(fast, loop, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("version", [0, 1], ids=["fast", "loop"])
def test_max_pool_ties_send_the_gradient_to_the_first_maximum(version):
    """As PyTorch: the first maximum in row-major window order wins, also with overlapping windows."""
    fn = POOLS["max"][version]
    x = Tensor(
        np.array(
            [[[[1.0, 1.0, 0.0, 0.0], [1.0, 1.0, 0.0, 2.0], [3.0, 0.0, 5.0, 5.0], [0.0, 3.0, 5.0, 5.0]]]]
        ),
        requires_grad=True,
    )
    fn(x, 2).backward(np.array([[[[1.0, 2.0], [3.0, 4.0]]]]))
    expected = np.zeros((4, 4))
    expected[0, 0], expected[1, 3], expected[2, 0], expected[2, 2] = 1.0, 2.0, 3.0, 4.0
    np.testing.assert_array_equal(x.grad.data[0, 0], expected)
    y = Tensor(np.zeros((1, 1, 3, 3)), requires_grad=True)  # all tied, windows overlapping (stride 1)
    fn(y, 2, 1).backward(np.ones((1, 1, 2, 2)))
    np.testing.assert_array_equal(y.grad.data[0, 0], [[1, 1, 0], [1, 1, 0], [0, 0, 0]])


def test_pool_modules_default_stride_repr_and_float32(stored):
    pool = MaxPool2d(2)
    assert (
        pool.stride == 2
        and repr(pool) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    )
    assert repr(AvgPool2d((2, 3), stride=1)) == "AvgPool2d(kernel_size=(2, 3), stride=1, padding=0)"
    module = stored("pool", "module/")  # PyTorch's values, in float64
    x = Tensor(module["x"])
    out = pool(x)
    assert out.shape == (2, 3, 5, 5) and out.dtype == tc.float32
    np.testing.assert_allclose(out.data, module["max"], rtol=1e-6)
    avg = AvgPool2d(3, 2, 1)(x)
    assert avg.shape == (2, 3, 6, 6) and avg.dtype == tc.float32
    np.testing.assert_allclose(avg.data, module["avg"], rtol=1e-5, atol=1e-6)


def test_pooling_records_no_gradient_for_inputs_without_one():
    out = VF.max_pool2d(tc.randn(1, 1, 4, 4), 2)
    assert not out.requires_grad and out.grad_fn is None


ERROR_CASES = [
    (
        lambda: VF.max_pool2d(tc.randn(4, 4), 2),
        r"max_pool2d: expected a 4-D input \(B, C, H, W\), got shape \(4, 4\)",
    ),
    (
        lambda: VF.max_pool2d(tc.randn(1, 1, 8, 8), 3, padding=2),
        r"max_pool2d: padding should be at most half of the kernel size, "
        r"but got padding=\(2, 2\) and kernel_size=\(3, 3\)",
    ),
    (
        lambda: VF.avg_pool2d(tc.randn(1, 1, 8, 8), 2, padding=(0, 2)),
        r"avg_pool2d: padding should be at most half",
    ),
    (lambda: VF.avg_pool2d(tc.randn(1, 1, 8, 8), 2, stride=0), r"avg_pool2d: stride must be a positive int"),
    (lambda: VF.max_pool2d(tc.randn(1, 1, 8, 8), 0), r"max_pool2d: kernel_size must be a positive int"),
    (
        lambda: VF.max_pool2d(tc.randn(1, 1, 2, 8), 3),
        r"max_pool2d: kernel_size=\(3, 3\) does not fit in the input of shape \(1, 1, 2, 8\)",
    ),
    (lambda: MaxPool2d(2, padding=-1), r"MaxPool2d: padding must be a non-negative"),
    (
        lambda: MaxPool2d(3, padding=2)(tc.randn(1, 1, 8, 8)),
        r"MaxPool2d\(kernel_size=3, stride=3, padding=2.*padding should be",
    ),
    (
        lambda: AvgPool2d(2)(tc.randn(2, 8, 8)),
        r"AvgPool2d\(kernel_size=2, stride=2, padding=0\): expected a 4-D input",
    ),
]


@pytest.mark.parametrize(("call", "match"), ERROR_CASES)
def test_pool_bad_inputs_raise_clear_errors(call, match):
    good = tc.randn(1, 1, 4, 4)  # the good calls work
    assert VF.max_pool2d(good, 2).shape == (1, 1, 2, 2)
    assert VF.avg_pool2d(good, 3, 1, 1).shape == (1, 1, 4, 4)
    with pytest.raises(ValueError, match=match):
        call()


def test_pool_rejects_integer_tensors():
    assert VF.max_pool2d(tc.ones(1, 1, 4, 4), 2).shape == (1, 1, 2, 2)
    with pytest.raises(TypeError, match=r"max_pool2d: expected a float32 or float64 input Tensor, got int64"):
        VF.max_pool2d(Tensor(np.ones((1, 1, 4, 4), dtype=np.int64)), 2)


@pytest.mark.parametrize("config", [*CONFIGS, ((2, 2, 6, 6), 2, None, 1)], ids=[*IDS, "tiled-with-padding"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_given_fast_max_pool_equals_the_students_window_max_and_to_winners(config, dtype):
    """The given tuned halves of max pooling (workspace, scratch arrays, writes where windows do
    not overlap) give exactly the student's whole-array `window_max` / `to_winners`, which run
    under `forbid`: they must not just call the given ones."""
    from tinytorch.vision.conv import pad_chwn, pair, to_chwn
    from tinytorch.vision.pool import pooled_shape, to_winners, to_winners_fast, window_max, window_max_fast

    shape, kernel, stride, padding = config
    kernel, padding = pair(kernel, "kernel", "test", 1), pair(padding, "padding", "test", 0)
    stride = kernel if stride is None else pair(stride, "stride", "test", 1)
    r = np.random.default_rng(4)
    x = np.maximum(r.standard_normal(shape), 0).astype(dtype)  # ReLU'd: ties in most windows
    xp = pad_chwn(to_chwn(x), padding, -np.inf).copy()
    out_hw = pooled_shape(shape, kernel, stride, padding)[2:]
    with forbid(window_max, "window_max_fast"):
        out, argmax = window_max(xp, kernel, stride, out_hw)
    fast_out, fast_argmax = window_max_fast(xp, kernel, stride, out_hw)
    np.testing.assert_array_equal(fast_out, out)
    np.testing.assert_array_equal(fast_argmax, argmax)
    assert fast_argmax.dtype == argmax.dtype == np.uint8
    g = r.standard_normal(out.shape).astype(dtype)
    with forbid(to_winners, "to_winners_fast"):
        expected = to_winners(g, argmax, xp.shape, kernel, stride)
    np.testing.assert_array_equal(to_winners_fast(g, argmax, xp.shape, kernel, stride), expected)
