"""Module 09: pooling's further options (given code) — MaxPool2d dilation / ceil_mode / return_indices,
AvgPool2d ceil_mode / count_include_pad=False / divisor_override, AdaptiveAvgPool2d.

Values against independent loops written from PyTorch's CPU kernels (below), gradcheck in
float64, the default options still on the fast path, errors. PyTorch itself is compared in
tests/oracle/test_oracle_pool_more.py.
"""

import math

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import ArgumentError, DTypeError, ShapeError, Tensor
from tinytorch.vision import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinytorch.vision import functional as VF
from tinytorch.vision.layers import AdaptiveAvgPool2d as LayersAdaptive

pytestmark = pytest.mark.module09


def out_size(size, k, s, p, d, ceil):
    """PyTorch's pooling_output_shape, written out again."""
    span = d * (k - 1) + 1
    n = size + 2 * p - span
    out = (math.ceil(n / s) if ceil else n // s) + 1
    if ceil and (out - 1) * s >= size + p:
        out -= 1
    return out


def as_pair(v):
    return tuple(v) if isinstance(v, tuple) else (v, v)


def max_loop(x, k, s, p, d, ceil):
    """PyTorch's CPU max pooling, one window at a time: (values, flat indices)."""
    (kh, kw), (ph, pw), (dh, dw) = as_pair(k), as_pair(p), as_pair(d)
    sh, sw = as_pair(k if s is None else s)
    b, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, dh, ceil), out_size(w, kw, sw, pw, dw, ceil)
    out = np.empty((b, c, oh, ow), x.dtype)
    idx = np.empty((b, c, oh, ow), np.int64)
    for n, ch, i, j in np.ndindex(out.shape):
        best, where = -np.inf, None
        for a in range(kh):
            for e in range(kw):
                r, q = i * sh - ph + a * dh, j * sw - pw + e * dw
                if 0 <= r < h and 0 <= q < w:
                    v = x[n, ch, r, q]
                    if where is None or v > best or np.isnan(v):
                        best, where = v, r * w + q
        out[n, ch, i, j], idx[n, ch, i, j] = best, where
    return out, idx


def avg_loop(x, k, s, p, ceil, include, override=None):
    """PyTorch's CPU average pooling, one window at a time."""
    (kh, kw), (ph, pw) = as_pair(k), as_pair(p)
    sh, sw = as_pair(k if s is None else s)
    b, c, h, w = x.shape
    oh, ow = out_size(h, kh, sh, ph, 1, ceil), out_size(w, kw, sw, pw, 1, ceil)
    out = np.zeros((b, c, oh, ow), x.dtype)
    for i, j in np.ndindex(oh, ow):
        r0, q0 = i * sh - ph, j * sw - pw
        r1, q1 = min(r0 + kh, h + ph), min(q0 + kw, w + pw)
        size = (r1 - r0) * (q1 - q0)
        r0, q0, r1, q1 = max(r0, 0), max(q0, 0), min(r1, h), min(q1, w)
        divisor = override or (size if include else (r1 - r0) * (q1 - q0))
        out[:, :, i, j] = x[:, :, r0:r1, q0:q1].sum(axis=(2, 3)) / divisor
    return out


def adaptive_loop(x, oh, ow):
    h, w = x.shape[-2:]
    out = np.empty((*x.shape[:-2], oh, ow), x.dtype)
    for i, j in np.ndindex(oh, ow):
        r0, r1 = (i * h) // oh, -((-(i + 1) * h) // oh)
        q0, q1 = (j * w) // ow, -((-(j + 1) * w) // ow)
        out[..., i, j] = x[..., r0:r1, q0:q1].mean(axis=(-2, -1))
    return out


# (shape, kernel, stride, padding, dilation, ceil_mode)
MAX_CONFIGS = [
    ((2, 3, 7, 7), 2, None, 0, 1, True),  # odd: ceil_mode adds a last, partial window
    ((1, 2, 9, 8), 3, 2, 1, 1, True),
    ((2, 2, 8, 9), 3, 2, 1, 2, False),  # dilation
    ((1, 2, 10, 11), (3, 2), (2, 3), (1, 1), (2, 1), True),
    ((2, 1, 6, 6), 3, 3, 1, 1, True),  # the window past the right padding is dropped
    ((1, 1, 5, 5), 2, 1, 1, 1, False),
]
MAX_IDS = [f"{'x'.join(map(str, c[0]))}-k{c[1]}-s{c[2]}-p{c[3]}-d{c[4]}-c{int(c[5])}" for c in MAX_CONFIGS]


@pytest.mark.parametrize("config", MAX_CONFIGS, ids=MAX_IDS)
def test_max_pool2d_options_match_the_loop_definition_and_gradcheck(config):
    shape, k, s, p, d, ceil = config
    x = np.random.default_rng(1).standard_normal(shape)
    out, idx = VF.max_pool2d(Tensor(x), k, s, p, d, ceil, return_indices=True)
    want, want_idx = max_loop(x, k, s, p, d, ceil)
    assert out.shape == want.shape and idx.dtype == np.int64
    np.testing.assert_array_equal(out.data, want)
    np.testing.assert_array_equal(idx.data, want_idx)
    t = Tensor(x, requires_grad=True)
    assert tc.gradcheck(lambda a: VF.max_pool2d(a, k, s, p, d, ceil), t)


def test_max_pool2d_ties_nan_and_all_minus_inf_windows_pick_pytorchs_index():
    x = np.array([[[[1.0, 3.0, 3.0, np.nan, 2.0, np.nan]]]])
    out, idx = VF.max_pool2d(Tensor(x), (1, 3), 3, return_indices=True)
    np.testing.assert_array_equal(idx.data, [[[[1, 5]]]])  # first maximum; the last NaN
    assert out.data[0, 0, 0, 0] == 3 and np.isnan(out.data[0, 0, 0, 1])
    x = np.full((1, 1, 3, 3), -np.inf)
    out, idx = VF.max_pool2d(Tensor(x), 2, padding=1, return_indices=True)
    np.testing.assert_array_equal(idx.data, [[[[0, 1], [3, 4]]]])  # never a padding position
    assert np.all(out.data == -np.inf)


def test_max_pool2d_backward_adds_where_windows_share_a_winner():
    x = Tensor(np.array([[[[0.0, 9.0, 1.0], [2.0, 3.0, 4.0]]]]), requires_grad=True)
    out = VF.max_pool2d(x, 2, 1, ceil_mode=True)  # both windows of row 0 are won by the 9
    out.backward(np.ones(out.shape))
    np.testing.assert_array_equal(x.grad.data, [[[[0, 2, 0], [0, 0, 0]]]])


# (shape, kernel, stride, padding, ceil_mode, count_include_pad)
AVG_CONFIGS = [
    ((2, 3, 7, 7), 2, None, 0, True, True),
    ((1, 2, 9, 8), 3, 2, 1, True, True),  # the ceil window counts only up to the right padding
    ((1, 2, 9, 8), 3, 2, 1, True, False),
    ((2, 2, 6, 7), 3, 1, 1, False, False),  # divided by the inputs in the window only
    ((1, 2, 10, 11), (3, 2), (2, 3), (1, 1), True, False),
]
AVG_IDS = [
    f"{'x'.join(map(str, c[0]))}-k{c[1]}-s{c[2]}-p{c[3]}-c{int(c[4])}-i{int(c[5])}" for c in AVG_CONFIGS
]


@pytest.mark.parametrize("config", AVG_CONFIGS, ids=AVG_IDS)
def test_avg_pool2d_options_match_the_loop_definition_and_gradcheck(config):
    shape, k, s, p, ceil, include = config
    x = np.random.default_rng(2).standard_normal(shape)
    out = VF.avg_pool2d(Tensor(x), k, s, p, ceil, include)
    np.testing.assert_allclose(out.data, avg_loop(x, k, s, p, ceil, include), rtol=1e-12)
    t = Tensor(x, requires_grad=True)
    assert tc.gradcheck(lambda a: VF.avg_pool2d(a, k, s, p, ceil, include), t)


def test_avg_pool2d_divisor_override():
    x = np.random.default_rng(3).standard_normal((1, 2, 5, 5))
    out = VF.avg_pool2d(Tensor(x), 2, padding=1, ceil_mode=True, divisor_override=3)
    np.testing.assert_allclose(out.data, avg_loop(x, 2, None, 1, True, True, 3), rtol=1e-12)
    assert tc.gradcheck(lambda a: VF.avg_pool2d(a, 2, 1, divisor_override=3), Tensor(x, requires_grad=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_options_keep_the_input_dtype_and_an_empty_batch(dtype):
    x = Tensor(np.ones((0, 2, 5, 5), dtype), requires_grad=True)
    out, idx = VF.max_pool2d(x, 2, ceil_mode=True, return_indices=True)
    avg = VF.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False)
    ada = VF.adaptive_avg_pool2d(x, 4)
    assert out.shape == avg.shape == (0, 2, 3, 3) and idx.shape == (0, 2, 3, 3)
    assert ada.shape == (0, 2, 4, 4)
    (out.sum() + avg.sum() + ada.sum()).backward()
    assert x.grad.shape == x.shape and x.grad.dtype == dtype
    y = Tensor(np.ones((1, 2, 5, 5), dtype), requires_grad=True)
    for t in (
        VF.max_pool2d(y, 2, ceil_mode=True),
        VF.avg_pool2d(y, 2, 1, 1, True, False),
        VF.adaptive_avg_pool2d(y, 3),
    ):
        assert t.dtype == dtype
        t.sum().backward()
        assert y.grad.dtype == dtype


def test_default_options_keep_the_fast_path():
    x = Tensor(np.random.default_rng(4).standard_normal((2, 3, 8, 8)), requires_grad=True)
    assert type(MaxPool2d(2)(x).grad_fn).__name__ == "MaxPool2dFunctionBackward"
    assert type(AvgPool2d(2)(x).grad_fn).__name__ == "AvgPool2dFunctionBackward"
    # ceil_mode adding no window, count_include_pad=False with no padding: the same windows, fast
    assert type(VF.max_pool2d(x, 2, ceil_mode=True).grad_fn).__name__ == "MaxPool2dFunctionBackward"
    assert type(VF.avg_pool2d(x, 2, count_include_pad=False).grad_fn).__name__ == "AvgPool2dFunctionBackward"
    assert type(VF.max_pool2d(x, 3, ceil_mode=True).grad_fn).__name__ == "MaxPool2dIndexedBackward"


def test_modules_take_the_options_and_print_as_pytorch():
    x = Tensor(np.random.default_rng(5).standard_normal((1, 2, 7, 7)))
    pool = MaxPool2d(3, 2, 1, dilation=2, return_indices=True, ceil_mode=True)
    out, idx = pool(x)
    want, want_idx = max_loop(x.data, 3, 2, 1, 2, True)
    np.testing.assert_array_equal(out.data, want)
    np.testing.assert_array_equal(idx.data, want_idx)
    assert repr(pool) == "MaxPool2d(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True)"
    avg = AvgPool2d(2, ceil_mode=True, count_include_pad=False, divisor_override=None)
    np.testing.assert_allclose(avg(x).data, avg_loop(x.data, 2, None, 0, True, False), rtol=1e-6)
    assert repr(avg) == "AvgPool2d(kernel_size=2, stride=2, padding=0)"
    ada = AdaptiveAvgPool2d((None, 3))
    assert repr(ada) == "AdaptiveAvgPool2d(output_size=(None, 3))" and LayersAdaptive is AdaptiveAvgPool2d
    assert ada(x).shape == (1, 2, 7, 3) and not list(ada.parameters()) and ada.state_dict() == {}


ADAPTIVE_CASES = [
    ((2, 3, 7, 9), (3, 4)),
    ((1, 2, 5, 5), 2),
    ((1, 2, 6, 4), (None, 3)),
    ((3, 5, 6), 4),
    ((1, 1, 3, 2), 5),
]


@pytest.mark.parametrize(("shape", "size"), ADAPTIVE_CASES, ids=[str(c) for c in ADAPTIVE_CASES])
def test_adaptive_avg_pool2d_matches_the_window_rule_and_gradcheck(shape, size):
    x = np.random.default_rng(6).standard_normal(shape)
    oh, ow = size if isinstance(size, tuple) else (size, size)
    oh, ow = oh or shape[-2], ow or shape[-1]
    out = VF.adaptive_avg_pool2d(Tensor(x), size)
    np.testing.assert_allclose(out.data, adaptive_loop(x, oh, ow), rtol=1e-12)
    assert tc.gradcheck(lambda a: VF.adaptive_avg_pool2d(a, size), Tensor(x, requires_grad=True))


def test_adaptive_to_one_is_the_global_mean():
    x = np.random.default_rng(7).standard_normal((2, 3, 5, 6)).astype(np.float32)
    out = AdaptiveAvgPool2d(1)(Tensor(x))
    np.testing.assert_allclose(out.data, x.mean(axis=(2, 3), keepdims=True), rtol=1e-6, atol=1e-7)


ERRORS = {
    "max-padding-over-half": (
        lambda: VF.max_pool2d(tc.ones(1, 1, 5, 5), 2, padding=2, ceil_mode=True),
        ArgumentError,
        r"max_pool2d: padding should be at most half of the kernel size, but got padding=\(2, 2\) "
        r"and kernel_size=\(2, 2\)",
    ),
    "avg-padding-over-half": (
        lambda: AvgPool2d(3, padding=2, count_include_pad=False)(tc.ones(1, 1, 5, 5)),
        ArgumentError,
        r"AvgPool2d\(kernel_size=3.*padding should be at most half",
    ),
    "max-3d-input": (
        lambda: VF.max_pool2d(tc.ones(2, 5, 5), 2, return_indices=True),
        ShapeError,
        r"max_pool2d: expected a 4-D input \(B, C, H, W\), got shape \(2, 5, 5\)",
    ),
    "max-too-small": (
        lambda: MaxPool2d(3, dilation=3)(tc.ones(1, 1, 6, 6)),
        ShapeError,
        r"MaxPool2d\(.*\): kernel_size=\(3, 3\) with dilation=\(3, 3\) does not fit in the input of shape "
        r"\(1, 1, 6, 6\)",
    ),
    "max-zero-dilation": (
        lambda: MaxPool2d(2, dilation=0),
        ArgumentError,
        r"MaxPool2d: dilation must be a positive",
    ),
    "max-int-input": (
        lambda: VF.max_pool2d(Tensor(np.ones((1, 1, 4, 4), np.int64)), 2, ceil_mode=True),
        DTypeError,
        r"max_pool2d: expected a float32 or float64 input Tensor, got int64",
    ),
    "ceil-mode-not-bool": (
        lambda: VF.avg_pool2d(tc.ones(1, 1, 4, 4), 2, ceil_mode="yes"),
        TypeError,
        r"avg_pool2d: ceil_mode must be a bool, got 'yes'",
    ),
    "divisor-zero": (
        lambda: VF.avg_pool2d(tc.ones(1, 1, 4, 4), 2, divisor_override=0),
        ArgumentError,
        r"avg_pool2d: divisor must be not zero",
    ),
    "adaptive-2d-input": (
        lambda: VF.adaptive_avg_pool2d(tc.ones(5, 5), 2),
        ShapeError,
        r"adaptive_avg_pool2d: expected a 3-D \(C, H, W\) or 4-D \(B, C, H, W\) input, got shape \(5, 5\)",
    ),
    "adaptive-empty-plane": (
        lambda: AdaptiveAvgPool2d(2)(tc.ones(1, 2, 0, 4)),
        ShapeError,
        r"AdaptiveAvgPool2d\(output_size=2\): expected an input with non-zero channels, height and width, "
        r"got shape \(1, 2, 0, 4\)",
    ),
    "adaptive-negative-size": (
        lambda: AdaptiveAvgPool2d((2, -1)),
        ArgumentError,
        r"AdaptiveAvgPool2d: output_size must be non-negative, got \(2, -1\)",
    ),
    "adaptive-float-size": (
        lambda: VF.adaptive_avg_pool2d(tc.ones(1, 1, 4, 4), 2.5),
        TypeError,
        r"adaptive_avg_pool2d: output_size must be an int or a pair of ints or None, got 2.5",
    ),
}


@pytest.mark.parametrize("case", ERRORS)
def test_bad_calls_raise_errors_naming_the_op_and_values(case):
    fn, cls, message = ERRORS[case]
    with pytest.raises(cls, match=message):
        fn()
