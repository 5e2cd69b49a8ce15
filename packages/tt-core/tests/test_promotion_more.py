"""More of the dtype rules and index placement (given code, issue 15), beside
test_promotion.py: the issue's index case checked value by value and its gradient
element by element, each binary operator naming itself when float dtypes mix, where's
errors and gradients with scalars.

Forward values and errors (module 02), gradients (module 05).
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import DTypeError, Tensor

RNG = np.random.default_rng(3)
X_SHAPE = (2, 5, 6, 5, 3, 4)
D = RNG.integers(0, 5, (2, 1, 1, 5, 1, 1))  # repeated values: their gradients must add


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
def test_mixing_float_dtypes_raises_naming_the_op(op, name):
    a32, b64 = Tensor([1.0, 2.0]), Tensor(np.array([3.0, 4.0]))
    with pytest.raises(DTypeError, match=rf"^{name}: mixed dtypes \(float32, float64\)"):
        op(a32, b64)
    with pytest.raises(DTypeError, match=rf"^{name}: mixed dtypes \(float64, float32\)"):
        op(b64, a32)
    with pytest.raises(RuntimeError, match=rf"^{name}: mixed dtypes \(float32, int64\)"):  # PyTorch's type
        op(a32, Tensor(np.array([1, 2])))


@pytest.mark.module02
def test_where_errors_name_the_problem():
    with pytest.raises(DTypeError, match=r"where: the condition must be a bool Tensor .*got float32"):
        tt.where(Tensor([1.0]), 1, 2)
    with pytest.raises(DTypeError, match=r"where: the condition must be a bool Tensor .*got list"):
        tt.where([True], 1, 2)
    with pytest.raises(DTypeError, match=r"where: mixed dtypes \(float32, float64\)"):
        tt.where(Tensor(np.array([True])), Tensor([1.0]), Tensor(np.array([2.0])))


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


@pytest.mark.module05
def test_where_with_a_scalar_gradcheck():
    x = Tensor(RNG.standard_normal((3, 4)), requires_grad=True)
    cond = Tensor(RNG.random((3, 4)) > 0.5)
    assert tt.gradcheck(lambda a: tt.where(cond, a, 0.0), x)
    assert tt.gradcheck(lambda a: tt.where(cond, -2, a * a), x)
    out = tt.where(cond, 1.0, 0.0)
    assert not out.requires_grad and out.grad_fn is None
