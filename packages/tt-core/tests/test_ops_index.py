"""gather, scatter, scatter_add, index_select, masked_fill, one_hot, tril, triu (given code).

Forward values, edge shapes and errors (module 02), gradients by gradcheck (module 05).
"""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import Tensor

RNG = np.random.default_rng(0)


def f64(*shape: int) -> Tensor:
    return Tensor(RNG.standard_normal(shape), requires_grad=True)


def idx(data: object) -> Tensor:
    return Tensor(np.asarray(data, dtype=np.int64))


X = np.arange(12.0).reshape(3, 4)


# ------------------------------------------------------------------- forward


@pytest.mark.module02
def test_gather_values_and_smaller_index():
    out = tt.gather(Tensor(X), 1, idx([[0, 3], [1, 1], [2, 0]]))
    np.testing.assert_array_equal(out.data, [[0, 3], [5, 5], [10, 8]])
    # dim 0, negative dim; the index may be smaller than the input away from dim
    out = Tensor(X).gather(-2, idx([[2, 0, 1]]))
    np.testing.assert_array_equal(out.data, [[8, 1, 6]])
    # and larger along dim
    assert tt.gather(Tensor(X), 1, idx(np.zeros((2, 7)))).shape == (2, 7)


@pytest.mark.module02
def test_gather_edges():
    assert tt.gather(Tensor(X), 0, idx(np.zeros((0, 4)))).shape == (0, 4)
    s = Tensor(2.5)
    assert tt.gather(s, 0, idx(0)).shape == ()
    np.testing.assert_array_equal(tt.gather(s, -1, idx([0, 0])).data, [2.5, 2.5])
    assert tt.gather(Tensor([[1, 2], [3, 4]]), 1, idx([[1], [0]])).tolist() == [[2.0], [3.0]]
    ints = Tensor(np.array([[1, 2], [3, 4]]))
    assert tt.gather(ints, 1, idx([[1], [0]])).dtype == tt.int64


@pytest.mark.module02
def test_scatter_values():
    base = Tensor(np.zeros((2, 4)))
    src = Tensor(np.array([[1.0, 2.0, 9.0], [3.0, 4.0, 9.0]]))
    out = tt.scatter(base, 1, idx([[3, 0], [1, 2]]), src)  # src larger than index: only its block
    np.testing.assert_array_equal(out.data, [[2, 0, 0, 1], [0, 3, 4, 0]])
    out = base.scatter(0, idx([[1, 0, 1, 0]]), 7.0)
    np.testing.assert_array_equal(out.data, [[0, 7, 0, 7], [7, 0, 7, 0]])
    out = tt.scatter(base, 1, idx([[0]]), value=-1.0)
    assert out.data[0, 0] == -1 and base.data[0, 0] == 0  # a copy, input unchanged


@pytest.mark.module02
def test_scatter_add_repeated_indices_add_up():
    out = tt.scatter_add(Tensor([1.0, 1.0, 1.0]), 0, idx([0, 0, 2, 0]), Tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(out.data, [8.0, 1.0, 4.0])
    out = Tensor(np.zeros((2, 2))).scatter_add(-1, idx([[1, 1]]), Tensor(np.array([[5.0, 6.0]])))
    np.testing.assert_array_equal(out.data, [[0, 11], [0, 0]])
    s = tt.scatter_add(Tensor(1.0), 0, idx(0), Tensor(2.0))
    assert s.shape == () and s.item() == 3.0


@pytest.mark.module02
def test_index_select():
    out = tt.index_select(Tensor(X), 1, idx([3, 0, 3]))
    np.testing.assert_array_equal(out.data, X[:, [3, 0, 3]])
    assert Tensor(X).index_select(0, idx(2)).shape == (1, 4)  # a 0-d index reads as (1,)
    assert Tensor(X).index_select(-1, idx(np.zeros(0))).shape == (3, 0)
    assert tt.index_select(Tensor(3.0), 0, idx([0])).shape == ()


@pytest.mark.module02
def test_masked_fill_broadcasts_and_keeps_dtype():
    mask = Tensor([True, False, False, True])
    out = tt.masked_fill(Tensor(X), mask, -1.0)
    np.testing.assert_array_equal(out.data[:, 0], [-1, -1, -1])
    np.testing.assert_array_equal(out.data[:, 1], X[:, 1])
    assert Tensor(X).masked_fill(Tensor(np.ones((2, 3, 4), dtype=bool)), 0.0).shape == (2, 3, 4)
    ints = Tensor(np.arange(4)).masked_fill(mask, 9)
    assert ints.dtype == tt.int64 and ints.tolist() == [9, 1, 2, 9]
    out = Tensor(X).masked_fill(Tensor(np.ones((3, 1), dtype=bool)), Tensor(np.float64(2.0)))
    assert np.all(out.data == 2.0)


@pytest.mark.module02
def test_one_hot():
    out = tt.one_hot(idx([0, 3, 1]))
    assert out.dtype == tt.int64 and out.shape == (3, 4)
    np.testing.assert_array_equal(out.data, np.eye(4, dtype=np.int64)[[0, 3, 1]])
    assert tt.one_hot(idx([[1], [0]]), num_classes=3).shape == (2, 1, 3)
    assert tt.one_hot(idx(2), 5).tolist() == [0, 0, 1, 0, 0]
    assert tt.one_hot(idx(np.zeros(0)), 3).shape == (0, 3)


@pytest.mark.module02
@pytest.mark.parametrize("k", [-2, -1, 0, 1, 5])
def test_tril_triu_batched(k):
    a = RNG.standard_normal((2, 3, 4))
    np.testing.assert_array_equal(tt.tril(Tensor(a), k).data, np.stack([np.tril(m, k) for m in a]))
    np.testing.assert_array_equal(Tensor(a).triu(k).data, np.stack([np.triu(m, k) for m in a]))
    assert Tensor(np.ones((0, 3))).tril().shape == (0, 3)


# ----------------------------------------------------------------- gradients


@pytest.mark.module05
def test_gather_gradcheck_with_repeats():
    x = f64(3, 4)
    assert tt.gradcheck(lambda a: tt.gather(a, 1, idx([[0, 0, 3], [1, 1, 1], [2, 3, 0]])), x)
    assert tt.gradcheck(lambda a: a.gather(0, idx([[2, 0, 1, 2]])), x)
    assert tt.gradcheck(lambda a: tt.gather(a, 0, idx([0, 0])), f64())


@pytest.mark.module05
def test_scatter_gradcheck_and_gradients():
    x, src = f64(3, 4), f64(3, 3)
    index = idx([[0, 2], [3, 1], [1, 0]])  # no repeats within a row
    assert tt.gradcheck(lambda a, s: tt.scatter(a, 1, index, s), x, src)
    assert tt.gradcheck(lambda a: tt.scatter(a, 0, idx([[2, 0, 1, 1]]), 1.5), x)
    out = tt.scatter(x, 1, index, src)
    out.backward(np.ones((3, 4)))
    assert x.grad is not None and src.grad is not None
    np.testing.assert_array_equal(x.grad.data, [[0, 1, 0, 1], [1, 0, 1, 0], [0, 0, 1, 1]])
    np.testing.assert_array_equal(src.grad.data, [[1, 1, 0], [1, 1, 0], [1, 1, 0]])


@pytest.mark.module05
def test_scatter_add_gradcheck():
    x, src = f64(3, 4), f64(2, 5)
    assert tt.gradcheck(lambda a, s: tt.scatter_add(a, 0, idx([[0, 0, 2, 1], [0, 2, 2, 1]]), s), x, src)


@pytest.mark.module05
def test_index_select_masked_fill_tril_gradcheck():
    x = f64(3, 4)
    assert tt.gradcheck(lambda a: tt.index_select(a, 1, idx([3, 0, 3, 3])), x)
    mask = Tensor(np.array([[True], [False], [True]]))
    assert tt.gradcheck(lambda a: tt.masked_fill(a, mask, 0.5), x)
    value = Tensor(np.float64(0.25), requires_grad=True)
    assert tt.gradcheck(lambda a, v: tt.masked_fill(a, mask, v), x, value)
    assert tt.gradcheck(lambda a: tt.masked_fill(a, Tensor(np.ones((2, 1, 4), dtype=bool)), 0.0), x)
    y = f64(2, 3, 3)
    assert tt.gradcheck(lambda a: tt.tril(a, -1), y)
    assert tt.gradcheck(lambda a: a.triu(1), y)


# -------------------------------------------------------------------- errors


@pytest.mark.module02
@pytest.mark.parametrize(
    ("call", "err", "match"),
    [
        (lambda: tt.gather(Tensor(X), 2, idx(np.zeros((3, 4)))), tt.DimensionError, r"gather: dim 2"),
        (lambda: tt.gather(Tensor(X), 1, idx([[5]])), tt.ArgumentError, r"gather: index 5 .*size 4"),
        (lambda: tt.gather(Tensor(X), 1, idx([[-1]])), tt.ArgumentError, r"gather: index -1 is out"),
        (lambda: tt.gather(Tensor(X), 1, Tensor([[0.0]])), tt.DTypeError, r"gather: index must be an int64"),
        (lambda: tt.gather(Tensor(X), 1, [[0]]), TypeError, r"gather: index must be an int64 Tensor"),
        (
            lambda: tt.gather(Tensor(X), 1, idx([0])),
            tt.ShapeError,
            r"gather: index \(shape \(1,\)\).*\(3, 4\)",
        ),
        (lambda: tt.gather(Tensor(X), 1, idx(np.zeros((4, 2)))), tt.ShapeError, r"larger than .* at dim 0"),
        (lambda: tt.scatter(Tensor(X), 1, idx([[0]])), tt.ArgumentError, r"scatter: give exactly one"),
        (
            lambda: tt.scatter(Tensor(X), 1, idx([[0, 1]]), Tensor(np.ones((1, 1)))),
            tt.ShapeError,
            r"scatter: index shape \(1, 2\) must be no larger than src shape \(1, 1\)",
        ),
        (
            lambda: tt.scatter(Tensor([[1.0]]), 1, idx([[0]]), Tensor(np.ones((1, 1)))),
            tt.DTypeError,
            r"scatter: src has dtype float64, input float32",
        ),
        (lambda: tt.scatter(Tensor(X), 1, idx([[4]]), 1.0), tt.ArgumentError, r"scatter: index 4"),
        (lambda: tt.scatter_add(Tensor(X), 1, idx([[0]]), 1.0), TypeError, r"scatter_add: src must be"),
        (
            lambda: tt.index_select(Tensor(X), 1, idx([[0]])),
            tt.DimensionError,
            r"index_select: index must be",
        ),
        (
            lambda: tt.index_select(Tensor(X), 1, idx([4])),
            tt.ArgumentError,
            r"index_select: index 4 .*size 4",
        ),
        (lambda: tt.index_select(Tensor(X), 1, Tensor([1.0])), tt.DTypeError, r"index_select: index must"),
        (lambda: tt.masked_fill(Tensor(X), idx([1, 0, 1, 0]), 0.0), tt.DTypeError, r"masked_fill: mask"),
        (
            lambda: tt.masked_fill(Tensor(X), Tensor([True, False]), 0.0),
            tt.ShapeError,
            r"masked_fill: mask of shape \(2,\) does not broadcast with input of shape \(3, 4\)",
        ),
        (
            lambda: tt.masked_fill(Tensor(X), Tensor([True]), Tensor(np.array([1.0]))),
            tt.ShapeError,
            r"masked_fill: value must be a number or a 0-d Tensor, got shape \(1,\)",
        ),
        (
            lambda: tt.masked_fill(Tensor(X), Tensor([True]), Tensor(1.0)),
            tt.DTypeError,
            r"masked_fill: value has dtype float32, input float64",
        ),
        (
            lambda: tt.one_hot(idx([0, 3]), 2),
            tt.ArgumentError,
            r"one_hot: .*smaller than num_classes=2, got 3",
        ),
        (lambda: tt.one_hot(idx([0, -1]), 3), tt.ArgumentError, r"one_hot: .*non-negative, got -1"),
        (lambda: tt.one_hot(Tensor([0.0])), tt.DTypeError, r"one_hot: index must be an int64"),
        (lambda: tt.one_hot(idx(np.zeros(0))), tt.ArgumentError, r"one_hot: cannot infer num_classes"),
        (lambda: tt.one_hot(idx(np.zeros(0)), 0), tt.ArgumentError, r"one_hot: cannot infer .*got 0"),
        (lambda: tt.one_hot(idx([1]), -2), tt.ArgumentError, r"one_hot: .*num_classes=-2, got 1"),
        (lambda: tt.tril(Tensor([1.0, 2.0])), tt.ShapeError, r"tril: input must have at least 2 .*\(2,\)"),
        (lambda: Tensor(X).triu(0.5), TypeError, r"triu: diagonal must be an int"),
    ],
)
def test_errors_name_the_op_and_values(call, err, match):
    with pytest.raises(err, match=match):
        call()
