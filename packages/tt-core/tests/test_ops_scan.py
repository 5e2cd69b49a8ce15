"""cumsum, cumprod, prod (given code).

Forward values, dtypes, edge shapes and errors (module 02), gradients by gradcheck
(module 05), including products with one zero and with several zeros.
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import Tensor

RNG = np.random.default_rng(3)
X = np.arange(1.0, 13.0).reshape(3, 4)


def f64(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


def with_zeros(shape: tuple[int, ...], places: list[tuple[int, ...]]) -> Tensor:
    a = RNG.uniform(0.5, 1.5, shape) * RNG.choice([-1, 1], shape)
    for p in places:
        a[p] = 0.0
    return Tensor(a, requires_grad=True)


# ------------------------------------------------------------------- forward


@pytest.mark.module02
def test_cumsum_cumprod_values():
    np.testing.assert_array_equal(tt.cumsum(Tensor(X), 1).data, np.cumsum(X, 1))
    np.testing.assert_array_equal(Tensor(X).cumsum(-2).data, np.cumsum(X, 0))
    np.testing.assert_array_equal(tt.cumprod(Tensor(X), -1).data, np.cumprod(X, 1))
    np.testing.assert_array_equal(Tensor(X).cumprod(0).data, np.cumprod(X, 0))
    assert tt.cumsum(Tensor(2.5), 0).shape == () and tt.cumsum(Tensor(2.5), -1).item() == 2.5
    assert tt.cumprod(Tensor(np.ones((0, 3))), 0).shape == (0, 3)


@pytest.mark.module02
def test_scan_and_prod_dtypes():
    ints = Tensor(np.array([1, 2, 3]))
    assert tt.cumsum(ints, 0).dtype == tt.int64 and tt.cumsum(ints, 0).tolist() == [1, 3, 6]
    assert tt.cumsum(Tensor([True, True]), 0).dtype == tt.int64
    out = tt.cumsum(ints, 0, dtype=tt.float32)
    assert out.dtype == tt.float32 and out.tolist() == [1, 3, 6]
    assert tt.cumprod(ints, 0).tolist() == [1, 2, 6]
    assert tt.prod(ints).dtype == tt.int64 and tt.prod(ints).item() == 6
    assert tt.prod(Tensor([True, True])).dtype == tt.int64
    assert tt.prod(ints, dtype="float64").dtype == tt.float64
    assert Tensor(X).prod().dtype == tt.float64


@pytest.mark.module02
def test_prod_values_and_shapes():
    assert Tensor(X).prod().item() == np.prod(X)
    np.testing.assert_array_equal(tt.prod(Tensor(X), 1).data, np.prod(X, 1))
    assert Tensor(X).prod(-2, keepdim=True).shape == (1, 4)
    assert tt.prod(Tensor(2.0), 0).shape == ()
    assert tt.prod(Tensor(np.ones((0, 3))), 0).tolist() == [1, 1, 1]  # the empty product
    assert tt.prod(Tensor(np.ones((0, 3)))).item() == 1


# ----------------------------------------------------------------- gradients


@pytest.mark.module05
def test_cumsum_gradcheck():
    x = f64(3, 4)
    assert tt.gradcheck(lambda a: tt.cumsum(a, 1), x)
    assert tt.gradcheck(lambda a: a.cumsum(-2), x)
    assert tt.gradcheck(lambda a: a.cumsum(0), f64())


@pytest.mark.module05
@pytest.mark.parametrize(
    "zeros",
    [[], [(0, 1)], [(0, 0), (1, 3)], [(0, 1), (0, 3)], [(1, 0), (1, 1), (1, 2), (1, 3)]],
    ids=["none", "one per row", "at the ends", "two in a row", "all"],
)
def test_cumprod_gradcheck_with_zeros(zeros):
    x = with_zeros((2, 4), zeros)
    assert tt.gradcheck(lambda a: tt.cumprod(a, 1), x)
    assert tt.gradcheck(lambda a: a.cumprod(0), x)


@pytest.mark.module05
@pytest.mark.parametrize(
    "zeros",
    [[], [(0, 1)], [(0, 1), (0, 3)], [(0, 1), (1, 1), (1, 2)]],
    ids=["none", "one zero", "two zeros", "one and two"],
)
def test_prod_gradcheck_with_zeros(zeros):
    x = with_zeros((2, 4), zeros)
    assert tt.gradcheck(lambda a: tt.prod(a, 1), x)
    assert tt.gradcheck(lambda a: a.prod(0, keepdim=True), x)
    assert tt.gradcheck(lambda a: a.prod(), x)


@pytest.mark.module05
def test_prod_gradient_with_one_zero_is_the_product_of_the_others():
    x = Tensor([2.0, 0.0, 3.0], requires_grad=True)
    x.prod().backward()
    assert x.grad is not None and x.grad.tolist() == [0, 6, 0]
    y = Tensor([2.0, 0.0, 0.0], requires_grad=True)
    y.prod().backward()
    assert y.grad is not None and y.grad.tolist() == [0, 0, 0]


@pytest.mark.module05
def test_gradients_of_zero_d_and_zero_size_inputs():
    for fn in (lambda a: a.cumsum(0), lambda a: a.cumprod(-1), lambda a: a.prod(), lambda a: a.prod(0)):
        assert tt.gradcheck(fn, f64())
    for fn in (lambda a: a.cumsum(0), lambda a: a.cumprod(-2), lambda a: a.cumprod(1), lambda a: a.prod(0)):
        x = Tensor(np.ones((0, 3)), requires_grad=True)
        fn(x).sum().backward()
        assert x.grad is not None and x.grad.shape == (0, 3)
    x = Tensor(np.ones((0, 3)), requires_grad=True)
    x.prod(1).sum().backward()  # empty rows: nothing reaches the input
    assert x.grad is not None and x.grad.shape == (0, 3)


@pytest.mark.module05
def test_a_scan_in_another_float_dtype_computes_the_gradient_in_the_input_dtype():
    x = Tensor(np.array([0.0, 0.0]), requires_grad=True)  # float64
    out = tt.cumsum(x, 0, dtype=tt.float32)
    assert out.dtype == tt.float32
    out.backward(np.array([1e-6, 1.0], dtype=np.float32))
    assert x.grad is not None and x.grad.dtype == tt.float64
    assert x.grad.tolist() == [float(np.float32(1e-6)) + 1.0, 1.0]  # summed in float64
    y = Tensor(np.array([2.0, 0.0, 3.0]), requires_grad=True)
    y.cumprod(0, dtype="float32").backward(np.array([1.0, 1.0, 1.0], dtype=np.float32))
    assert y.grad is not None and y.grad.dtype == tt.float64 and y.grad.tolist() == [1, 8, 0]


@pytest.mark.module05
def test_float32_gradients_keep_their_dtype():
    x = Tensor(np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 0.5]], dtype=np.float32), requires_grad=True)
    (x.cumprod(1).sum() + x.prod(0).sum() + x.cumsum(-1).sum()).backward()
    assert x.grad is not None and x.grad.dtype == tt.float32


# -------------------------------------------------------------------- errors


@pytest.mark.module02
@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: tt.cumsum(Tensor(X), 2), tt.DimensionError, r"cumsum: dim 2 is out of range"),
        (lambda: Tensor(2.0).cumsum(1), tt.DimensionError, r"cumsum: dim 1 is out of range"),
        (lambda: tt.cumprod(Tensor(X), -3), tt.DimensionError, r"cumprod: dim -3 is out of range"),
        (lambda: tt.prod(Tensor(X), 2), tt.DimensionError, r"prod: dim 2 is out of range"),
        (lambda: tt.prod(Tensor(X), (0, 1)), TypeError, r"prod: dim must be an int"),
        (lambda: tt.cumsum(Tensor(X).data, 0), TypeError, r"cumsum: expected a Tensor, got ndarray"),
        (lambda: tt.cumsum(Tensor(X), 0, dtype="int8"), TypeError, r"unsupported dtype 'int8'"),
    ],
)
def test_errors_name_the_op_and_values(call, err, match):
    with pytest.raises(err, match=match):
        call()
