"""Module 02: PyTorch's type promotion with Python scalars (int tensor + 0.5 is float32,
int / int is float32, exp of ints is float32; mixed tensor dtypes are errors naming the op,
as in PyTorch), where the index arrays' dims go when an index mixes ints, slices and
arrays, clip(min > max), where with scalars, flatten(start_dim, end_dim). Given code
(issue 15); expected values written out.

Forward values and errors (module 02), gradients (module 05).
"""

import math

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DimensionError, DTypeError, Tensor, gradcheck

RNG = np.random.default_rng(3)
X_SHAPE = (2, 5, 6, 5, 3, 4)
D = RNG.integers(0, 5, (2, 1, 1, 5, 1, 1))  # repeated values: their gradients must add


def leaf(*shape: int) -> Tensor:
    return Tensor(RNG.uniform(-2, 2, size=shape), requires_grad=True)


# ---------------------------------------------------------------- promotion


@pytest.mark.module02
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


@pytest.mark.module02
def test_float_tensors_keep_their_dtype_with_python_scalars():
    for dtype in ("float32", "float64"):
        x = tt.ones(2, dtype=dtype)
        for out in (x + 1.5, 1.5 * x, x / 3, 2 / x, x**0.5, x % 0.75, x // 0.5, x + 1, x.clip(0.25, 0.5)):
            assert out.dtype == np.dtype(dtype)


@pytest.mark.module02
@pytest.mark.parametrize(
    ("op", "name"),
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "sub"),
        (lambda a, b: a * b, "mul"),
        (lambda a, b: a / b, "div"),
        (lambda a, b: a**b, "pow"),
        (lambda a, b: a % b, "remainder"),
        (lambda a, b: tt.maximum(a, b), "maximum"),
    ],
)
def test_mixing_tensor_dtypes_raises_naming_the_op(op, name):
    a32, b64 = Tensor([1.0, 2.0]), Tensor(np.array([3.0, 4.0]))
    with pytest.raises(DTypeError, match=rf"^{name}: mixed dtypes \(float32, float64\)"):
        op(a32, b64)
    with pytest.raises(DTypeError, match=rf"^{name}: mixed dtypes \(float64, float32\)"):
        op(b64, a32)
    with pytest.raises(RuntimeError, match=rf"^{name}: mixed dtypes \(float32, int64\)"):  # PyTorch's type
        op(a32, Tensor(np.array([1, 2])))


@pytest.mark.module05
def test_int_tensor_promoted_by_a_float_scalar_feeds_float_gradients():
    w = Tensor(np.ones(3), requires_grad=True)
    idx = tt.arange(3)
    (w * (idx + 0.5).to("float64")).sum().backward()
    np.testing.assert_array_equal(w.grad.data, [0.5, 1.5, 2.5])


# ------------------------------------------------------------- indexing


@pytest.mark.module02
def test_index_placement_shapes_follow_pytorch():
    y = Tensor(np.arange(24.0).reshape(2, 3, 4))
    idx = Tensor(np.array([0, 3]))
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


def _expected(x: np.ndarray) -> np.ndarray:
    # PyTorch: the int and the slices first (a view), then the array, whose dims take its place
    return x[1][:, 3:11:2][:, :, D, 0:2]


@pytest.mark.module02
def test_issue_index_case_values():
    data = RNG.standard_normal(X_SHAPE)
    out = Tensor(data)[1, :, 3:11:2, Tensor(D), 0:2]
    assert out.shape == (5, 2, 2, 1, 1, 5, 1, 1, 2, 4)  # NumPy: (2, 1, 1, 5, 1, 1, 5, 2, 2, 4)
    np.testing.assert_array_equal(out.data, _expected(data))


@pytest.mark.module02
def test_int_beside_index_arrays_values():
    data = np.arange(60.0).reshape(3, 4, 5)
    t, d, e = Tensor(data), Tensor(np.array([3, 0])), Tensor(np.array([2, 0]))
    np.testing.assert_array_equal(t[1, :, d].data, data[1][:, [3, 0]])  # (4, 2); NumPy (2, 4)
    np.testing.assert_array_equal(t[:, d, 1].data, data[:, [3, 0], 1])
    np.testing.assert_array_equal(t[e, 2, d].data, data[[2, 0], 2, [3, 0]])
    np.testing.assert_array_equal(t[e, 1:3, 2].data, data[[2, 0], 1:3, 2])
    np.testing.assert_array_equal(t[0, ..., d].data, data[0][:, [3, 0]])


@pytest.mark.module05
def test_issue_index_case_gradient():
    x = Tensor(RNG.standard_normal(X_SHAPE), requires_grad=True)
    out = x[1, :, 3:11:2, Tensor(D), 0:2]
    upstream = RNG.standard_normal(out.shape)
    out.backward(Tensor(upstream))
    expected = np.zeros(X_SHAPE)
    view = expected[1][:, 3:11:2]  # a view of `expected`: add.at writes through it
    np.add.at(view, (slice(None), slice(None), D, slice(0, 2)), upstream)
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)
    assert tt.gradcheck(
        lambda a: a[1, :, Tensor(np.array([[2, 0], [2, 2]]))],
        Tensor(RNG.standard_normal((2, 3, 4)), requires_grad=True),
    )
    assert gradcheck(lambda a: a[:, -1, Tensor(np.array([True, False, True, True]))], leaf(2, 3, 4))
    assert gradcheck(lambda a: a[Tensor(np.array([0, 0])), ..., Tensor(np.array([1, 3]))], leaf(2, 4))


# ---------------------------------------------------------- clip, where, flatten


@pytest.mark.module02
def test_clip_min_above_max_gives_max():
    assert tt.ones(3).clip(2, -1).tolist() == [-1, -1, -1]
    assert tt.clip(Tensor([-5.0, 0.0, 5.0]), 1.0, 0.5).tolist() == [0.5, 0.5, 0.5]


@pytest.mark.module05
def test_clip_with_min_above_max_passes_no_gradient():
    x = leaf(6)
    x.clip(0.5, -0.5).sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros(6))
    assert gradcheck(lambda a: a.clip(1.0, -1.0) * a, leaf(5))


@pytest.mark.module02
def test_where_with_two_scalars():
    cond = Tensor([True, False])
    assert tt.where(cond, 1.0, 0.0).dtype == np.float32
    assert tt.where(cond, 1, 0).dtype == np.int64
    assert tt.where(cond, True, False).dtype == np.bool_
    assert tt.where(cond, 2, 0.5).tolist() == [2.0, 0.5]
    with pytest.raises(TypeError, match="where: a and b must be Tensors or Python numbers"):
        tt.where(cond, "a", 0)


@pytest.mark.module02
def test_where_errors_name_the_problem():
    with pytest.raises(DTypeError, match=r"where: the condition must be a bool Tensor .*got float32"):
        tt.where(Tensor([1.0]), 1, 2)
    with pytest.raises(DTypeError, match=r"where: the condition must be a bool Tensor .*got list"):
        tt.where([True], 1, 2)
    with pytest.raises(DTypeError, match=r"where: mixed dtypes \(float32, float64\)"):
        tt.where(Tensor(np.array([True])), Tensor([1.0]), Tensor(np.array([2.0])))


@pytest.mark.module05
def test_where_with_a_scalar_gradcheck():
    x = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    cond = Tensor(RNG.random((3, 4)) > 0.5)
    assert tt.gradcheck(lambda a: tt.where(cond, a, 0.0), x)
    assert tt.gradcheck(lambda a: tt.where(cond, -2, a * a), x)
    out = tt.where(cond, 1.0, 0.0)
    assert not out.requires_grad and out.grad_fn is None


@pytest.mark.module02
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


@pytest.mark.module05
def test_flatten_gradcheck():
    assert gradcheck(lambda a: a.flatten(1, 2) * 2, leaf(2, 3, 2, 2))
    assert gradcheck(lambda a: tt.flatten(a, -2), leaf(2, 3, 2))
