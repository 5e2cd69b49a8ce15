"""sort, argsort, topk (given code).

Forward values, stable tie order, NaN placement, edge shapes and errors (module 02),
gradients by gradcheck (module 05).
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import Tensor

RNG = np.random.default_rng(2)


def f64(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


# ------------------------------------------------------------------- forward


@pytest.mark.module02
def test_sort_values_indices_and_namedtuple():
    x = Tensor([[3.0, 1.0, 2.0], [0.0, 5.0, -1.0]])
    values, indices = tt.sort(x)
    assert values.tolist() == [[1, 2, 3], [-1, 0, 5]]
    assert indices.dtype == tt.int64 and indices.tolist() == [[1, 2, 0], [2, 0, 1]]
    result = x.sort(dim=0, descending=True)
    assert isinstance(result, tt.SortResult)
    assert result.values.tolist() == [[3, 5, 2], [0, 1, -1]]
    assert result.indices.tolist() == [[0, 1, 0], [1, 0, 1]]


@pytest.mark.module02
def test_sort_is_stable_both_ways_and_puts_nan_as_largest():
    x = Tensor([1.0, 2.0, 1.0, 2.0, 1.0])
    assert tt.sort(x).indices.tolist() == [0, 2, 4, 1, 3]
    assert tt.sort(x, descending=True).indices.tolist() == [1, 3, 0, 2, 4]
    assert tt.argsort(x, descending=True, stable=True).tolist() == [1, 3, 0, 2, 4]
    nan = Tensor([1.0, float("nan"), -1.0, float("nan")])
    assert tt.sort(nan).indices.tolist() == [2, 0, 1, 3]
    assert tt.sort(nan, descending=True).indices.tolist() == [1, 3, 0, 2]
    assert tt.topk(nan, 1).indices.tolist() == [1]
    assert tt.topk(nan, 2, largest=False).indices.tolist() == [2, 0]


@pytest.mark.module02
def test_sort_edges_and_dtypes():
    s = tt.sort(Tensor(2.0))
    assert s.values.shape == () and s.indices.tolist() == 0
    assert tt.sort(Tensor(np.ones((0, 3))), 0).values.shape == (0, 3)
    ints = Tensor(np.array([3, 1, 2])).sort()
    assert ints.values.dtype == tt.int64 and ints.values.tolist() == [1, 2, 3]
    bools = tt.sort(Tensor([True, False]))
    assert bools.values.tolist() == [False, True] and bools.indices.tolist() == [1, 0]
    assert Tensor(2.0).argsort().tolist() == 0


@pytest.mark.module02
def test_topk():
    x = Tensor([[1.0, 5.0, 3.0, 4.0], [9.0, 0.0, 8.0, 7.0]])
    values, indices = tt.topk(x, 2)
    assert values.tolist() == [[5, 4], [9, 8]] and indices.tolist() == [[1, 3], [0, 2]]
    result = x.topk(1, dim=0, largest=False)
    assert isinstance(result, tt.TopkResult)
    assert result.values.tolist() == [[1, 0, 3, 4]] and result.indices.tolist() == [[0, 1, 0, 0]]
    assert x.topk(0).values.shape == (2, 0)
    assert x.topk(4, sorted=False).values.tolist()[0] == [5, 4, 3, 1]
    assert tt.topk(Tensor(2.0), 1).values.shape == ()


# ----------------------------------------------------------------- gradients


@pytest.mark.module05
def test_sort_topk_gradcheck():
    x = f64(3, 4)
    assert tt.gradcheck(lambda a: tt.sort(a).values, x)
    assert tt.gradcheck(lambda a: a.sort(0, descending=True).values, x)
    assert tt.gradcheck(lambda a: tt.topk(a, 2, dim=-2).values, x)
    assert tt.gradcheck(lambda a: a.topk(3, largest=False).values, x)
    assert tt.gradcheck(lambda a: tt.sort(a).values * 2, f64())


@pytest.mark.module05
def test_sort_gradient_goes_back_to_where_each_value_came_from():
    x = Tensor([3.0, 1.0, 2.0], requires_grad=True)
    tt.sort(x).values.backward(np.array([10.0, 20.0, 30.0], dtype=np.float32))
    assert x.grad is not None and x.grad.tolist() == [30, 10, 20]


@pytest.mark.module05
def test_gradients_of_zero_d_zero_size_and_k_zero():
    assert tt.gradcheck(lambda a: a.topk(1, dim=-1).values, f64())
    assert tt.gradcheck(lambda a: a.sort(0, descending=True).values, f64())
    x = Tensor(np.ones((0, 3)), requires_grad=True)
    (tt.sort(x, 0).values.sum() + tt.topk(x, 2).values.sum()).backward()
    assert x.grad is not None and x.grad.shape == (0, 3)
    y = Tensor(np.ones((2, 3)), requires_grad=True)
    y.topk(0, dim=-2).values.sum().backward()
    assert y.grad is not None and y.grad.tolist() == [[0, 0, 0], [0, 0, 0]]


# -------------------------------------------------------------------- errors


@pytest.mark.module02
@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: tt.sort(Tensor([1.0]), 1), tt.DimensionError, r"sort: dim 1 is out of range"),
        (lambda: Tensor(2.0).sort(1), tt.DimensionError, r"sort: dim 1 is out of range"),
        (lambda: tt.argsort(Tensor([1.0]), -2), tt.DimensionError, r"argsort: dim -2 is out of range"),
        (lambda: tt.topk(Tensor([1.0, 2.0]), 3), tt.ArgumentError, r"topk: k=3 is out of range .*size 2"),
        (lambda: tt.topk(Tensor([1.0, 2.0]), -1), tt.ArgumentError, r"topk: k=-1 is out of range"),
        (lambda: tt.topk(Tensor(1.0), 2), tt.ArgumentError, r"topk: k=2 is out of range .*size 1"),
        (lambda: tt.topk(Tensor([1.0]), 1.0), TypeError, r"topk: k must be an int"),
        (lambda: tt.sort(Tensor([1.0]), 0.5), TypeError, r"sort: dim must be an int"),
    ],
)
def test_errors_name_the_op_and_values(call, err, match):
    with pytest.raises(err, match=match):
        call()
