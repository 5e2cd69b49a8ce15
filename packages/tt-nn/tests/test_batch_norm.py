"""Module 04: BatchNorm1d / BatchNorm2d and batch_norm (given code) — values against NumPy written
from the definition, gradcheck in train and eval mode, running statistics and num_batches_tracked,
state dicts, empty batches, errors. PyTorch itself: tests/oracle/test_oracle_batch_norm.py."""

import numpy as np
import pytest

import tinytorch.core as tc
from tinytorch.core import ArgumentError, DTypeError, ShapeError, Tensor
from tinytorch.nn import BatchNorm1d, BatchNorm2d, Sequential
from tinytorch.nn.batch_norm import batch_norm

SHAPES = {BatchNorm1d: [(6, 3), (4, 3, 5)], BatchNorm2d: [(4, 3, 5, 2)]}
CASES = [(cls, shape) for cls, shapes in SHAPES.items() for shape in shapes]
CASE_IDS = [f"{cls.__name__}-{shape}" for cls, shape in CASES]


def axes_of(x):
    return (0, *range(2, x.ndim))


def per_channel(a, ndim):
    return a.reshape((1, -1) + (1,) * (ndim - 2))


def normalized(x, mean, var, w, b, eps=1e-5):
    out = (x - per_channel(mean, x.ndim)) / np.sqrt(per_channel(var, x.ndim) + eps)
    return out * per_channel(w, x.ndim) + per_channel(b, x.ndim)


@pytest.mark.module04
@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
def test_train_mode_normalises_with_batch_stats_and_updates_running_stats(cls, shape):
    r = np.random.default_rng(0)
    bn = cls(3, momentum=0.2, dtype=tc.float64)
    bn.weight.data[...] = r.standard_normal(3)
    bn.bias.data[...] = r.standard_normal(3)
    running_mean, running_var = np.zeros(3), np.ones(3)
    for step in range(1, 4):
        x = r.standard_normal(shape) * 3 + 2
        out = bn(Tensor(x))
        mean, var = x.mean(axis=axes_of(x)), x.var(axis=axes_of(x))  # biased for normalising
        np.testing.assert_allclose(
            out.data, normalized(x, mean, var, bn.weight.data, bn.bias.data), rtol=1e-12
        )
        n = x.size // 3
        running_mean = 0.8 * running_mean + 0.2 * mean
        running_var = 0.8 * running_var + 0.2 * var * n / (n - 1)  # unbiased for the running estimate
        np.testing.assert_allclose(bn.running_mean.data, running_mean, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var.data, running_var, rtol=1e-12)
        assert int(bn.num_batches_tracked.data) == step and bn.num_batches_tracked.dtype == np.int64
    bn.eval()
    x = r.standard_normal(shape)
    np.testing.assert_allclose(
        bn(Tensor(x)).data, normalized(x, running_mean, running_var, bn.weight.data, bn.bias.data), rtol=1e-12
    )
    assert int(bn.num_batches_tracked.data) == 3  # eval mode tracks nothing


@pytest.mark.module04
def test_momentum_none_is_the_cumulative_average():
    r = np.random.default_rng(1)
    bn = BatchNorm1d(2, momentum=None, dtype=tc.float64)
    batches = [r.standard_normal((5, 2)) + i for i in range(4)]
    for x in batches:
        bn(Tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, np.mean([x.mean(axis=0) for x in batches], axis=0))
    np.testing.assert_allclose(bn.running_var.data, np.mean([x.var(axis=0, ddof=1) for x in batches], axis=0))


@pytest.mark.module05
@pytest.mark.parametrize(("cls", "shape"), CASES, ids=CASE_IDS)
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_gradcheck(cls, shape, training):
    r = np.random.default_rng(2)
    x = Tensor(r.standard_normal(shape), requires_grad=True)
    w = Tensor(r.standard_normal(3), requires_grad=True)
    b = Tensor(r.standard_normal(3), requires_grad=True)
    rm, rv = Tensor(r.standard_normal(3)), Tensor(r.uniform(0.5, 2, 3))
    if training:  # no running stats, so that the repeated calls change nothing
        assert tc.gradcheck(lambda a, w, b: batch_norm(a, None, None, w, b, True), x, w, b)
    else:
        assert tc.gradcheck(lambda a, w, b: batch_norm(a, rm, rv, w, b, False), x, w, b)
    bn = cls(3, affine=False, track_running_stats=False, dtype=tc.float64)  # batch stats, no weight
    assert tc.gradcheck(bn, x)


@pytest.mark.module04
def test_without_running_stats_eval_mode_uses_the_batch():
    x = np.random.default_rng(3).standard_normal((4, 2, 3))
    bn = BatchNorm1d(2, track_running_stats=False, dtype=tc.float64).eval()
    assert bn.running_mean is None and bn.num_batches_tracked is None
    assert list(bn.state_dict()) == ["weight", "bias"]
    want = normalized(x, x.mean(axis=(0, 2)), x.var(axis=(0, 2)), np.ones(2), np.zeros(2))
    np.testing.assert_allclose(bn(Tensor(x)).data, want, rtol=1e-12)


@pytest.mark.module04
def test_state_dict_keys_round_trip_and_repr():
    bn = BatchNorm2d(4, eps=1e-3, affine=True)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [name for name, _ in bn.named_parameters()] == ["weight", "bias"]
    bn(Tensor(np.random.default_rng(4).standard_normal((3, 4, 2, 2)).astype(np.float32)))
    other = BatchNorm2d(4, eps=1e-3)
    other.load_state_dict(bn.state_dict())
    for key, value in bn.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[key], value)
    assert other.state_dict()["num_batches_tracked"].dtype == np.int64
    assert repr(bn) == (
        "BatchNorm2d(4, eps=0.001, momentum=0.1, affine=True, bias=True, track_running_stats=True)"
    )
    model = Sequential(BatchNorm1d(2, affine=False, bias=False))
    assert list(model.state_dict()) == ["0.running_mean", "0.running_var", "0.num_batches_tracked"]
    bn.reset_running_stats()
    assert int(bn.num_batches_tracked.data) == 0 and np.all(bn.running_var.data == 1)


@pytest.mark.module05
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
def test_dtypes_and_an_empty_batch(dtype):
    bn = BatchNorm2d(3, dtype=dtype)
    x = Tensor(np.ones((0, 3, 4, 4), dtype), requires_grad=True)
    out = bn(x)
    assert out.shape == (0, 3, 4, 4) and out.dtype == dtype
    out.sum().backward()
    assert x.grad.shape == x.shape and bn.weight.grad.shape == (3,)
    assert np.all(bn.running_mean.data == 0) and np.all(bn.running_var.data == 1)
    assert int(bn.num_batches_tracked.data) == 1  # PyTorch counts it
    y = bn(Tensor(np.random.default_rng(5).standard_normal((2, 3, 2, 2)).astype(dtype)))
    assert y.dtype == dtype and bn.running_mean.dtype == dtype


ERRORS = {
    "2d-ndim": (
        lambda: BatchNorm2d(3)(tc.ones(2, 3)),
        ValueError,
        r"BatchNorm2d\(3, .*\): expected 4D input \(got 2D input of shape \(2, 3\)\)",
    ),
    "1d-ndim": (
        lambda: BatchNorm1d(3)(tc.ones(2, 3, 4, 5)),
        ValueError,
        r"BatchNorm1d\(3, .*\): expected 2D or 3D input \(got 4D input",
    ),
    "channels": (
        lambda: BatchNorm2d(4)(tc.ones(2, 3, 2, 2)),
        ShapeError,
        r"BatchNorm2d\(4, .*\): running_mean should contain 3 elements \(the channels of the input of shape "
        r"\(2, 3, 2, 2\)\), not 4",
    ),
    "one-value-per-channel": (
        lambda: BatchNorm1d(3)(tc.ones(1, 3)),
        ValueError,
        r"expected more than 1 value per channel when training, got input of shape \(1, 3\)",
    ),
    "dtype": (
        lambda: BatchNorm1d(3)(Tensor(np.ones((2, 3)))),
        DTypeError,
        r"BatchNorm1d\(3, .*\): input is float64 but running_mean is float32",
    ),
    "int-input": (
        lambda: batch_norm(Tensor(np.ones((2, 3), np.int64)), None, None, training=True),
        DTypeError,
        r"batch_norm: expected a float32 or float64 input Tensor, got int64",
    ),
    "eval-without-stats": (
        lambda: batch_norm(tc.ones(2, 3), None, None),
        ArgumentError,
        r"batch_norm: running_mean and running_var must be defined in evaluation mode",
    ),
    "negative-features": (lambda: BatchNorm2d(-1), ArgumentError, r"BatchNorm2d: num_features must be a"),
    "load-wrong-shape": (
        lambda: BatchNorm1d(3).load_state_dict(BatchNorm1d(4).state_dict()),
        ShapeError,
        r"'(weight|bias|running_mean|running_var)' has shape \(4,\) in the state dict "
        r"but \(3,\) in the model",
    ),
}


@pytest.mark.module04
@pytest.mark.parametrize("case", ERRORS)
def test_errors_name_the_layer_shapes_and_values(case):
    fn, cls, message = ERRORS[case]
    with pytest.raises(cls, match=message):
        fn()
