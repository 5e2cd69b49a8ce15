"""The given factories of issue 15 (torch's names and rules): zeros_like/ones_like/
full_like/empty(_like), eye, linspace, arange with float steps. Shapes, dtypes, values and
errors (module 02). zeros/ones/full/rand/randn and arange's basics are in test_tensor.py.
"""

import math

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DTypeError, ShapeError, Tensor

pytestmark = pytest.mark.module02


def test_like_factories_copy_shape_and_dtype():
    base = Tensor(np.ones((2, 0, 3)))  # float64, 0-size
    for fn in (tt.zeros_like, tt.ones_like, tt.empty_like):
        out = fn(base)
        assert out.shape == (2, 0, 3) and out.dtype == tt.float64, fn.__name__
        assert fn(Tensor(5.0)).shape == (), fn.__name__
        assert fn(base, dtype=tt.int64).dtype == tt.int64, fn.__name__
    x = Tensor([[1.0, 2.0]])
    assert tt.zeros_like(x).tolist() == [[0, 0]] and tt.ones_like(x).tolist() == [[1, 1]]
    out = tt.full_like(x, -2.5)
    assert out.dtype == tt.float32 and out.tolist() == [[-2.5, -2.5]]
    assert tt.full_like(x, 7, dtype="int64").tolist() == [[7, 7]]
    assert tt.full_like(Tensor(np.arange(2)), -2.7).tolist() == [-2, -2]  # truncated, as torch
    assert tt.full_like(x, True, dtype=tt.bool_).dtype == tt.bool_
    out = tt.ones_like(x, requires_grad=True)
    assert out.requires_grad and out.is_leaf and not np.shares_memory(out.data, x.data)


def test_empty_shapes_and_dtype():
    assert tt.empty(2, 3).shape == (2, 3) and tt.empty(2, 3).dtype == tt.float32
    assert tt.empty((4,)).shape == (4,) and tt.empty([1, 0]).shape == (1, 0)
    assert tt.empty().shape == () and tt.empty(3, dtype=tt.int64).dtype == tt.int64
    assert tt.empty(2, requires_grad=True).requires_grad


def test_eye():
    np.testing.assert_array_equal(tt.eye(3).data, np.eye(3))
    assert tt.eye(3).dtype == tt.float32
    assert tt.eye(3, 1).tolist() == [[1], [0], [0]]
    assert tt.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]]
    assert tt.eye(0).shape == (0, 0) and tt.eye(2, 0).shape == (2, 0)
    assert tt.eye(2, dtype=tt.bool_).tolist() == [[True, False], [False, True]]
    assert tt.eye(2, dtype=tt.float64, requires_grad=True).requires_grad


def test_linspace_includes_both_endpoints():
    out = tt.linspace(-1, 1, 5)
    assert out.dtype == tt.float32 and out.tolist() == [-1, -0.5, 0, 0.5, 1]
    out = tt.linspace(0.1, 0.7, 7, dtype=tt.float64)
    assert out.data[0] == 0.1 and out.data[-1] == 0.7  # exact ends, no rounding drift
    np.testing.assert_allclose(out.data, np.arange(1, 8) / 10, rtol=1e-15)
    assert tt.linspace(3, 1, 3).tolist() == [3, 2, 1]  # decreasing
    assert tt.linspace(2, 2, 3).tolist() == [2, 2, 2]
    assert tt.linspace(5, 9, 1).tolist() == [5]  # one step: start
    assert tt.linspace(0, 1, 0).shape == (0,)
    ints = tt.linspace(-5, 5, 4, dtype=tt.int64)  # -5, -1.67, 1.67, 5 rounded toward zero
    assert ints.dtype == tt.int64 and ints.tolist() == [-5, -1, 1, 5]


def test_arange_float_steps_length_rule():
    # ceil((end - start) / step) values, each start + i * step (no accumulated rounding)
    for start, end, step in [
        (0, 1, 0.1),
        (0, 1, 0.3),
        (1, 2.5, 0.5),
        (-1, 1, 0.25),
        (1, 0, -0.3),
        (0.5, 3, 1),
    ]:
        out = tt.arange(start, end, step)
        n = math.ceil((end - start) / step)
        assert out.shape == (n,) and out.dtype == tt.float32, (start, end, step)
        np.testing.assert_allclose(out.data, start + np.arange(n) * step, rtol=1e-6)
    assert tt.arange(5.0).tolist() == [0, 1, 2, 3, 4] and tt.arange(5.0).dtype == tt.float32
    assert tt.arange(0, 1, 0.1).data[-1] < 1  # end excluded
    assert tt.arange(2, 2, 0.5).shape == (0,)
    assert tt.arange(0, 3, dtype=tt.float64).dtype == tt.float64
    assert tt.arange(0, 1, 0.25, dtype=tt.float64).tolist() == [0, 0.25, 0.5, 0.75]
    ints = tt.arange(10, 0, -3)
    assert ints.dtype == tt.int64 and ints.tolist() == [10, 7, 4, 1]
    assert tt.arange(np.int64(3)).tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    ("fn", "error", "message"),
    [
        (lambda: tt.arange(0, 1, 0.0), ArgumentError, r"arange: step must not be zero"),
        (
            lambda: tt.arange(1, 0, 0.5),
            ArgumentError,
            r"inconsistent with step sign \(start=1, end=0, step=0.5\)",
        ),
        (lambda: tt.arange(0, 5, -1), ArgumentError, r"arange: upper bound and larger bound inconsistent"),
        (lambda: tt.arange(float("nan"), 1.0), ArgumentError, r"arange: start must be finite, got nan"),
        (lambda: tt.arange(0, math.inf), ArgumentError, r"arange: end must be finite"),
        (lambda: tt.arange(0.0, 1.0, None), TypeError, r"arange: step must be a number, got NoneType"),
        (lambda: tt.arange("a"), TypeError, r"arange: end must be a number"),
        (
            lambda: tt.linspace(0, 1, -2),
            ArgumentError,
            r"linspace: number of steps must be non-negative, got -2",
        ),
        (lambda: tt.linspace(0, 1, True), TypeError, r"linspace: steps must be an int, got bool"),
        (lambda: tt.linspace(0, 1, 2.5), TypeError, r"linspace: steps must be an int"),
        (lambda: tt.eye(3, -2), ShapeError, r"eye: negative dimension -2 in shape \(3, -2\)"),
        (lambda: tt.empty(2, -1), ShapeError, r"empty: negative dimension -1 in shape \(2, -1\)"),
        (lambda: tt.ones_like([1.0]), TypeError, r"ones_like: expected a Tensor, got list"),
        (lambda: tt.zeros_like(np.ones(2)), TypeError, r"zeros_like: expected a Tensor"),
        (lambda: tt.zeros_like(Tensor([1.0]), dtype="float16"), TypeError, r"unsupported dtype"),
        (
            lambda: tt.eye(2, dtype=tt.int64, requires_grad=True),
            DTypeError,
            r"requires_grad: only floating-point",
        ),
    ],
)
def test_factory_errors_name_the_op_and_value(fn, error, message):
    with pytest.raises(error, match=message):
        fn()
