"""Module 09: pooling's further options against PyTorch — max_pool2d (dilation, ceil_mode,
return_indices), avg_pool2d (ceil_mode, count_include_pad, divisor_override), adaptive_avg_pool2d:
forward, indices and the input gradient for the same upstream gradient, float32 and float64;
the modules' outputs and reprs; PyTorch raising the error types claimed in test_pool_more.py."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from tt_vision_oracle import DTYPES, assert_matches, run_both

import tinytorch.core as tc
from tinytorch.core import ArgumentError, ShapeError, Tensor
from tinytorch.vision import AdaptiveAvgPool2d, AvgPool2d, MaxPool2d
from tinytorch.vision import functional as VF

pytestmark = [pytest.mark.oracle, pytest.mark.module09]

# (shape, kernel, stride, padding, dilation, ceil_mode)
MAX = [
    ((2, 3, 7, 7), 2, None, 0, 1, True),
    ((2, 2, 9, 8), 3, 2, 1, 1, True),
    ((1, 3, 8, 9), 3, 2, 1, 2, False),
    ((2, 2, 11, 10), (3, 2), (2, 3), (1, 1), (2, 1), True),
    ((1, 2, 6, 6), 3, 3, 1, 1, True),
    ((3, 1, 5, 5), 2, 1, 1, 2, True),
    ((0, 2, 5, 5), 2, None, 0, 1, True),  # an empty batch
]
AVG = [  # (shape, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override)
    ((2, 3, 7, 7), 2, None, 0, True, True, None),
    ((2, 2, 9, 8), 3, 2, 1, True, True, None),
    ((2, 2, 9, 8), 3, 2, 1, True, False, None),
    ((1, 3, 6, 7), 3, 1, 1, False, False, None),
    ((2, 2, 11, 10), (3, 2), (2, 3), (1, 1), True, False, None),
    ((1, 2, 5, 5), 2, 1, 1, True, True, 3),
    ((0, 2, 5, 5), 2, None, 1, True, False, None),
]
ADAPTIVE = [
    ((2, 3, 7, 9), (3, 4)),
    ((1, 2, 5, 5), 2),
    ((2, 2, 6, 4), (None, 3)),
    ((3, 5, 6), 4),
    ((1, 1, 3, 2), 5),
]


def ids(configs):
    return ["-".join(str(v) for v in c) for c in configs]


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("config", MAX, ids=ids(MAX))
def test_max_pool2d_options_match_torch(config, dtype):
    shape, k, s, p, d, ceil = config
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    ours, theirs = run_both(
        lambda a: VF.max_pool2d(a, k, s, p, d, ceil),
        lambda a: F.max_pool2d(a, k, s, p, d, ceil),
        [x],
        [True],
    )
    for what, a, b in zip(("output", "dx"), ours, theirs, strict=True):
        assert_matches(a, b, what)
    _, idx = VF.max_pool2d(Tensor(x), k, s, p, d, ceil, return_indices=True)
    _, want = F.max_pool2d(torch.from_numpy(x), k, s, p, d, ceil, return_indices=True)
    np.testing.assert_array_equal(idx.data, want.numpy())
    assert idx.dtype == np.int64


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_max_pool2d_indices_after_relu_ties_match_torch(dtype):
    x = np.maximum(np.random.default_rng(1).standard_normal((2, 3, 9, 9)), 0).astype(dtype)  # tied windows
    ours, theirs = run_both(
        lambda a: VF.max_pool2d(a, 3, 2, 1, 1, True), lambda a: F.max_pool2d(a, 3, 2, 1, 1, True), [x], [True]
    )
    assert_matches(ours[1], theirs[1], "dx")
    _, idx = MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)(Tensor(x))
    _, want = torch.nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)(torch.from_numpy(x))
    np.testing.assert_array_equal(idx.data, want.numpy())


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("config", AVG, ids=ids(AVG))
def test_avg_pool2d_options_match_torch(config, dtype):
    shape, k, s, p, ceil, include, override = config
    x = np.random.default_rng(2).standard_normal(shape).astype(dtype)
    ours, theirs = run_both(
        lambda a: VF.avg_pool2d(a, k, s, p, ceil, include, override),
        lambda a: F.avg_pool2d(a, k, s, p, ceil, include, override),
        [x],
        [True],
    )
    for what, a, b in zip(("output", "dx"), ours, theirs, strict=True):
        assert_matches(a, b, what)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("shape", "size"), ADAPTIVE, ids=ids(ADAPTIVE))
def test_adaptive_avg_pool2d_matches_torch(shape, size, dtype):
    x = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    ours, theirs = run_both(
        lambda a: VF.adaptive_avg_pool2d(a, size), lambda a: F.adaptive_avg_pool2d(a, size), [x], [True]
    )
    for what, a, b in zip(("output", "dx"), ours, theirs, strict=True):
        assert_matches(a, b, what)


def test_modules_match_torchs_outputs_and_reprs():
    x = np.random.default_rng(4).standard_normal((2, 3, 9, 8)).astype(np.float32)
    pairs = [
        (
            MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True),
            torch.nn.MaxPool2d(3, 2, 1, dilation=2, ceil_mode=True),
        ),
        (MaxPool2d(2), torch.nn.MaxPool2d(2)),
        (
            AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False),
            torch.nn.AvgPool2d(3, 2, 1, True, False),
        ),
        (AvgPool2d(2, divisor_override=5), torch.nn.AvgPool2d(2, divisor_override=5)),
        (AdaptiveAvgPool2d((None, 3)), torch.nn.AdaptiveAvgPool2d((None, 3))),
        (AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1)),
    ]
    for ours, theirs in pairs:
        assert repr(ours) == repr(theirs)
        assert_matches(ours(Tensor(x)).data, theirs(torch.from_numpy(x)), repr(ours))
        assert ours.state_dict() == {} and not theirs.state_dict()


ERRORS = [
    (
        lambda: VF.max_pool2d(tc.ones(1, 1, 5, 5), 2, padding=2, ceil_mode=True),
        lambda: F.max_pool2d(torch.ones(1, 1, 5, 5), 2, padding=2, ceil_mode=True),
        ArgumentError,
        RuntimeError,
    ),
    (
        lambda: VF.avg_pool2d(tc.ones(1, 1, 5, 5), 3, padding=2, count_include_pad=False),
        lambda: F.avg_pool2d(torch.ones(1, 1, 5, 5), 3, padding=2, count_include_pad=False),
        ArgumentError,
        RuntimeError,
    ),
    (
        lambda: VF.max_pool2d(tc.ones(1, 1, 6, 6), 3, dilation=3),
        lambda: F.max_pool2d(torch.ones(1, 1, 6, 6), 3, dilation=3),
        ShapeError,
        RuntimeError,
    ),
    (
        lambda: VF.avg_pool2d(tc.ones(1, 1, 4, 4), 2, divisor_override=0),
        lambda: F.avg_pool2d(torch.ones(1, 1, 4, 4), 2, divisor_override=0),
        ArgumentError,
        RuntimeError,
    ),
    (
        lambda: VF.adaptive_avg_pool2d(tc.ones(5, 5), 2),
        lambda: F.adaptive_avg_pool2d(torch.ones(5, 5), 2),
        ShapeError,
        RuntimeError,
    ),
    (
        lambda: VF.adaptive_avg_pool2d(tc.ones(1, 2, 0, 4), 2),
        lambda: F.adaptive_avg_pool2d(torch.ones(1, 2, 0, 4), 2),
        ShapeError,
        RuntimeError,
    ),
]


@pytest.mark.parametrize(("ours", "theirs", "cls", "torch_type"), ERRORS)
def test_errors_have_the_type_torch_raises(ours, theirs, cls, torch_type):
    assert issubclass(cls, torch_type)
    with pytest.raises(cls):
        ours()
    with pytest.raises(torch_type):
        theirs()
