"""Module 04: BatchNorm1d / BatchNorm2d against torch.nn — several training steps (outputs, every
gradient, running statistics, num_batches_tracked), then eval mode, in float32 and float64;
state dicts exchanged both ways; F.batch_norm; PyTorch raising the error types claimed."""

import numpy as np
import pytest
import torch
from tt_nn_oracle import DTYPES, assert_matches

import tinytorch.core as tc
import tinytorch.nn as nn
from tinytorch.core import ArgumentError, DTypeError, ShapeError, Tensor
from tinytorch.nn.batch_norm import batch_norm

pytestmark = [pytest.mark.oracle, pytest.mark.module04]

TORCH_DTYPE = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}
# (layer, input shape, options)
CASES = [
    ("BatchNorm1d", (6, 3), {}),
    ("BatchNorm1d", (4, 3, 5), {"momentum": None}),
    ("BatchNorm2d", (4, 3, 5, 3), {}),
    ("BatchNorm2d", (2, 3, 3, 3), {"momentum": 0.3, "eps": 1e-3}),
    ("BatchNorm2d", (3, 3, 2, 2), {"affine": False}),
    ("BatchNorm1d", (5, 3, 2), {"track_running_stats": False}),
    ("BatchNorm2d", (3, 3, 2, 2), {"bias": False}),
]


def assert_same_state(actual, expected, key):
    """assert_matches, and exact equality for the int64 counter (num_batches_tracked)."""
    if actual.dtype.kind == "i":
        assert actual.dtype == expected.numpy().dtype and actual.shape == tuple(expected.shape), key
        np.testing.assert_array_equal(actual, expected.numpy(), err_msg=key)
    else:
        assert_matches(actual, expected, key)


def twins(name, options, dtype):
    ours = getattr(nn, name)(3, dtype=dtype, **options)
    theirs = getattr(torch.nn, name)(3, dtype=TORCH_DTYPE[np.dtype(dtype)], **options)
    r = np.random.default_rng(7)
    if ours.weight is not None:  # the same non-trivial affine parameters in both
        ours.weight.data[...] = r.uniform(0.5, 2, 3)
        theirs.weight.data = torch.from_numpy(ours.weight.data.copy())
    if ours.bias is not None:
        ours.bias.data[...] = r.standard_normal(3)
        theirs.bias.data = torch.from_numpy(ours.bias.data.copy())
    return ours, theirs


def step(ours, theirs, x, r):
    xs, xt = Tensor(x, requires_grad=True), torch.from_numpy(x.copy()).requires_grad_()
    out, expected = ours(xs), theirs(xt)
    assert_matches(out.data, expected, "output")
    upstream = r.standard_normal(out.shape).astype(out.dtype)
    out.backward(upstream)
    expected.backward(torch.from_numpy(upstream))
    assert_matches(xs.grad.data, xt.grad, "dx")
    for name in ("weight", "bias"):
        p, q = getattr(ours, name), getattr(theirs, name)
        assert (p is None) == (q is None)
        if p is not None:
            assert_matches(p.grad.data, q.grad, f"d{name}")
            p.grad, q.grad = None, None
    for name in ("running_mean", "running_var"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (a is None) == (b is None)
        if a is not None:
            assert_matches(a.data, b, name)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize(("name", "shape", "options"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_training_steps_then_eval_match_torch(name, shape, options, dtype):
    ours, theirs = twins(name, options, dtype)
    r = np.random.default_rng(0)
    for _ in range(4):
        step(ours, theirs, (r.standard_normal(shape) * 2 + 1).astype(dtype), r)
    if ours.num_batches_tracked is not None:
        assert int(ours.num_batches_tracked.data) == int(theirs.num_batches_tracked) == 4
    ours.eval()
    theirs.eval()
    step(ours, theirs, r.standard_normal(shape).astype(dtype), r)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for key, value in ours.state_dict().items():
        assert_same_state(value, theirs.state_dict()[key], key)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_empty_batch_matches_torch(dtype):
    ours, theirs = twins("BatchNorm2d", {}, dtype)
    step(ours, theirs, np.ones((0, 3, 2, 2), dtype), np.random.default_rng(1))
    assert int(ours.num_batches_tracked.data) == int(theirs.num_batches_tracked) == 1


def test_state_dicts_load_both_ways():
    r = np.random.default_rng(2)
    theirs = torch.nn.Sequential(torch.nn.BatchNorm2d(3), torch.nn.ReLU(), torch.nn.BatchNorm2d(3))
    for _ in range(3):  # running statistics and counters that are not the defaults
        theirs(torch.from_numpy(r.standard_normal((4, 3, 2, 2)).astype(np.float32)))
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(r.standard_normal(3).astype(np.float32)))
    ours = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU(), nn.BatchNorm2d(3))
    ours.load_state_dict(theirs.state_dict())
    x = r.standard_normal((2, 3, 4, 4)).astype(np.float32)
    assert_matches(ours.eval()(Tensor(x)).data, theirs.eval()(torch.from_numpy(x)), "eval output")
    back = torch.nn.Sequential(torch.nn.BatchNorm2d(3), torch.nn.ReLU(), torch.nn.BatchNorm2d(3))
    back.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})
    for key, value in back.state_dict().items():
        assert_same_state(ours.state_dict()[key], value, key)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_functional_batch_norm_matches_torch(training, dtype):
    r = np.random.default_rng(3)
    x = r.standard_normal((5, 4, 3)).astype(dtype)
    w, b = r.standard_normal(4).astype(dtype), r.standard_normal(4).astype(dtype)
    rm, rv = r.standard_normal(4).astype(dtype), r.uniform(0.5, 2, 4).astype(dtype)
    ours_stats, theirs_stats = (
        [Tensor(rm.copy()), Tensor(rv.copy())],
        [torch.from_numpy(a.copy()) for a in (rm, rv)],
    )
    out = batch_norm(Tensor(x), *ours_stats, Tensor(w), Tensor(b), training, 0.25, 1e-4)
    want = torch.nn.functional.batch_norm(
        torch.from_numpy(x), *theirs_stats, torch.from_numpy(w), torch.from_numpy(b), training, 0.25, 1e-4
    )
    assert_matches(out.data, want, "output")
    for a, t in zip(ours_stats, theirs_stats, strict=True):
        assert_matches(a.data, t, "running statistic")


ERRORS = [
    (lambda: nn.BatchNorm2d(3)(tc.ones(2, 3)), lambda: torch.nn.BatchNorm2d(3)(torch.ones(2, 3)), ValueError),
    (
        lambda: nn.BatchNorm1d(3)(tc.ones(2, 3, 4, 5)),
        lambda: torch.nn.BatchNorm1d(3)(torch.ones(2, 3, 4, 5)),
        ValueError,
    ),
    (
        lambda: nn.BatchNorm2d(4)(tc.ones(2, 3, 2, 2)),
        lambda: torch.nn.BatchNorm2d(4)(torch.ones(2, 3, 2, 2)),
        ShapeError,
    ),
    (lambda: nn.BatchNorm1d(3)(tc.ones(1, 3)), lambda: torch.nn.BatchNorm1d(3)(torch.ones(1, 3)), ValueError),
    (
        lambda: nn.BatchNorm1d(3)(Tensor(np.ones((2, 3)))),
        lambda: torch.nn.BatchNorm1d(3)(torch.ones(2, 3, dtype=torch.float64)),
        DTypeError,
    ),
    (
        lambda: batch_norm(tc.ones(2, 3), None, None),
        lambda: torch.nn.functional.batch_norm(torch.ones(2, 3), None, None),
        ArgumentError,
    ),
]


@pytest.mark.parametrize(("ours", "theirs", "cls"), ERRORS)
def test_errors_have_torchs_types(ours, theirs, cls):
    with pytest.raises(cls):
        ours()
    torch_type = next(t for t in (RuntimeError, ValueError, TypeError, IndexError) if issubclass(cls, t))
    with pytest.raises(torch_type):
        theirs()
