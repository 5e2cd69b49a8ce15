"""Module 02: PyTorch's type promotion with Python scalars (int tensor + 0.5 is float32,
int / int is float32, exp of ints is float32; mixed tensor dtypes and mean/var/std of ints
are errors, as in PyTorch), where the index arrays' dims go when an index mixes ints,
slices and arrays, clip(min > max), var/std without degrees of freedom, where with two
scalars, flatten(start_dim, end_dim). Given code (issue 15); expected values written out.
"""

import math
import warnings

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DimensionError, DTypeError, Tensor

pytestmark = pytest.mark.module02


# ---------------------------------------------------------------- promotion


@pytest.mark.parametrize(
    ("fn", "dtype", "values"),
    [
        (lambda i: i + 0.5, np.float32, [0.5, 1.5, 2.5]),
        (lambda i: 0.5 - i, np.float32, [0.5, -0.5, -1.5]),
        (lambda i: i * 2, np.int64, [0, 2, 4]),
        (lambda i: i * 2.5, np.float32, [0, 2.5, 5]),
        (lambda i: i**0.5, np.float32, [0, 1, math.sqrt(2)]),
        (lambda i: 2.0**i, np.float32, [1, 2, 4]),
        (lambda i: i**2, np.int64, [0, 1, 4]),
        (lambda i: i / 2, np.float32, [0, 0.5, 1]),
        (lambda i: 1 / (i + 1), np.float32, [1, 0.5, 1 / 3]),
        (lambda i: i / (i + 1), np.float32, [0, 0.5, 2 / 3]),
        (lambda i: i.exp(), np.float32, [1, math.e, math.e**2]),
        (lambda i: tt.exp(i), np.float32, [1, math.e, math.e**2]),
        (lambda i: (i + 1).log(), np.float32, [0, math.log(2), math.log(3)]),
        (lambda i: tt.sqrt(i), np.float32, [0, 1, math.sqrt(2)]),
        (lambda i: i.sin(), np.float32, [0, math.sin(1), math.sin(2)]),
        (lambda i: i < 1.5, np.bool_, [True, True, False]),
        (lambda i: i.clip(0.5, 1.5), np.float32, [0.5, 1, 1.5]),
        (lambda i: tt.maximum(i, 0.5), np.float32, [0.5, 1, 2]),
        (lambda i: tt.where(i > 0, i, 0.5), np.float32, [0.5, 1, 2]),
        (lambda i: tt.where(i > 0, 0.5, i), np.float32, [0, 0.5, 0.5]),
        (lambda i: (i > 0) + 1, np.int64, [1, 2, 2]),
        (lambda i: (i > 0) * 1.5, np.float32, [0, 1.5, 1.5]),
        (lambda i: (i > 0) / 2, np.float32, [0, 0.5, 0.5]),
        (lambda i: i.logsumexp(), np.float32, [math.log(1 + math.e + math.e**2)]),
    ],
)
def test_int_and_bool_tensors_promote_as_pytorch(fn, dtype, values):
    out = fn(tt.arange(3))
    assert out.dtype == dtype
    np.testing.assert_allclose(np.atleast_1d(out.data), values, rtol=1e-6)


def test_float_tensors_keep_their_dtype_with_python_scalars():
    for dtype in ("float32", "float64"):
        x = tt.ones(2, dtype=dtype)
        for out in (x + 1.5, 1.5 * x, x / 3, 2 / x, x**0.5, x % 0.75, x // 0.5, x + 1, x.clip(0.25, 0.5)):
            assert out.dtype == np.dtype(dtype)


def test_mixed_tensor_dtypes_still_raise():
    with pytest.raises(DTypeError, match=r"mixed dtypes \(float32, float64\)"):
        tt.ones(2) + tt.ones(2, dtype="float64")
    with pytest.raises(DTypeError, match="mixed dtypes"):
        tt.ones(2) / tt.arange(2)
    with pytest.raises(
        DTypeError, match=r"mean: expected a floating-point tensor, got int64.*x.float\(\).mean\(\)"
    ):
        tt.arange(3).mean()
    with pytest.raises(DTypeError, match="std: expected a floating-point tensor, got bool"):
        (tt.arange(3) > 0).std()


# ------------------------------------------------------------- indexing


def test_index_placement_follows_pytorch():
    x = Tensor(np.arange(2 * 5 * 6 * 5 * 3 * 4, dtype=np.float32).reshape(2, 5, 6, 5, 3, 4))
    d = Tensor(np.zeros((2, 1, 1, 5, 1, 1), dtype=np.int64))
    assert x[1, :, 3:11:2, d, 0:2].shape == (5, 2, 2, 1, 1, 5, 1, 1, 2, 4)
    y = Tensor(np.arange(24.0).reshape(2, 3, 4))
    idx = Tensor(np.array([0, 3]))
    out = y[1, :, idx]  # PyTorch: (3, 2); NumPy would give (2, 3)
    assert out.shape == (3, 2)
    np.testing.assert_array_equal(out.data, y.data[1][:, [0, 3]])
    assert y[0, Tensor(np.array([0, 2])), Tensor(np.array([1, 3]))].shape == (2,)
    assert y[Tensor(np.array([0, 1])), :, -1].shape == (2, 3)  # arrays separated by an int's slot
    assert y[:, Tensor(np.array(1)), idx].shape == (2, 2)  # a 0-d int tensor is an int
    assert y[True, :, Tensor(np.array([0, 2]))].shape == (
        2,
        2,
        4,
    )  # a Python bool is an index: arrays not adjacent
    assert y[None, 0, ..., False].shape == (1, 3, 4, 0)
    assert y[Tensor(np.array([0])), ..., Tensor(np.array([1, 2]))].shape == (2, 3)


# ----------------------------------------------------- clip, var, where, flatten


def test_clip_min_above_max_gives_max():
    assert tt.ones(3).clip(2, -1).tolist() == [-1, -1, -1]
    assert tt.clip(Tensor([-5.0, 0.0, 5.0]), 1.0, 0.5).tolist() == [0.5, 0.5, 0.5]


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_without_degrees_of_freedom_warn_and_give_nan_or_inf(op):
    with pytest.warns(
        UserWarning, match=rf"{op}\(\): degrees of freedom is <= 0: 1 element\(s\).*correction=1"
    ):
        assert math.isnan(getattr(Tensor([3.0]), op)().item())
    with pytest.warns(UserWarning, match="correction=2"):
        assert getattr(Tensor([1.0, 2.0]), op)(correction=2).item() == math.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert getattr(Tensor([1.0, 3.0]), op)().item() == pytest.approx(2.0 if op == "var" else math.sqrt(2))


def test_where_with_two_scalars():
    cond = Tensor([True, False])
    assert tt.where(cond, 1.0, 0.0).dtype == np.float32
    assert tt.where(cond, 1, 0).dtype == np.int64
    assert tt.where(cond, True, False).dtype == np.bool_
    assert tt.where(cond, 2, 0.5).tolist() == [2.0, 0.5]
    with pytest.raises(TypeError, match="where: a and b must be Tensors or Python numbers"):
        tt.where(cond, "a", 0)


def test_flatten():
    x = tt.zeros(2, 3, 4, 5)
    assert x.flatten().shape == (120,)
    assert x.flatten(1).shape == (2, 60)
    assert x.flatten(1, 2).shape == (2, 12, 5)
    assert tt.flatten(x, -3, -2).shape == (2, 12, 5)
    assert tt.zeros(()).flatten().shape == (1,)
    assert tt.zeros(2, 0, 3).flatten(0, 1).shape == (0, 3)
    with pytest.raises(ArgumentError, match="flatten: start_dim 2 comes after end_dim 1"):
        x.flatten(2, 1)
    with pytest.raises(DimensionError, match="flatten: dim 4 is out of range"):
        x.flatten(4)
