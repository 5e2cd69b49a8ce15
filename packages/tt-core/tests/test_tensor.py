"""Module 02: Tensor construction, dtypes, forward values of every op, views, errors."""

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import Tensor

pytestmark = pytest.mark.module02


# ----------------------------------------------------------------- construction


@pytest.mark.parametrize(
    ("data", "dtype", "shape"),
    [
        (3, tt.float32, ()),
        (2.5, tt.float32, ()),
        ([1, 2, 3], tt.float32, (3,)),
        ([[1.0, 2.0], [3.0, 4.0]], tt.float32, (2, 2)),
        ([True, False], tt.bool_, (2,)),
        (np.arange(6, dtype=np.float64).reshape(2, 3), tt.float64, (2, 3)),
        (np.arange(4, dtype=np.int32), tt.int64, (4,)),
        (np.zeros((2, 2), dtype=np.uint8), tt.int64, (2, 2)),
        (np.int64(5), tt.int64, ()),
        (np.float64(1.5), tt.float64, ()),
        (np.arange(3, dtype=np.float32)[1], tt.float32, ()),
    ],
)
def test_construction_and_default_dtypes(data, dtype, shape):
    t = Tensor(data)
    assert t.dtype == dtype
    assert t.shape == shape
    assert t.ndim == len(shape)
    assert t.size == int(np.prod(shape))
    np.testing.assert_array_equal(t.numpy(), np.asarray(data))


def test_explicit_dtype_and_sharing():
    a = np.ones(3, dtype=np.float32)
    t = Tensor(a)
    assert np.shares_memory(t.data, a)  # same dtype: no copy
    assert Tensor([1, 2], dtype="int64").dtype == tt.int64
    assert Tensor([1, 2], dtype=tt.float64).dtype == tt.float64
    assert Tensor(Tensor([1.0])).dtype == tt.float32


def test_properties_item_T_and_len():
    t = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.data, t.data.T)
    assert len(t) == 2
    assert Tensor([[7.5]]).item() == 7.5
    with pytest.raises(ValueError, match=r"item: only one-element tensors.*\(2, 3\)"):
        t.item()


def test_repr_shows_values_and_dtype():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == "Tensor([1., 2.], requires_grad=True)"
    assert repr(Tensor([1, 2], dtype="int64")) == "Tensor([1, 2], dtype=int64)"
    assert repr(Tensor([0.5])) == "Tensor([0.5])"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("abc", "cannot build a tensor from str"),
        (["a", "b"], "cannot build a tensor from list"),
        ([[1, 2], [3]], "ragged"),
        (None, "cannot build a tensor from NoneType"),
        (np.zeros(2, dtype=np.float16), "unsupported dtype"),
    ],
)
def test_non_numeric_or_unsupported_data_is_a_clear_error(data, message):
    with pytest.raises((TypeError, ValueError), match=message):
        Tensor(data)


def test_unsupported_dtype_and_truncation_are_errors():
    with pytest.raises(TypeError, match="unsupported dtype 'int8'"):
        Tensor([1], dtype="int8")
    with pytest.raises(TypeError, match="truncate"):
        Tensor([1.5], dtype="int64")
    with pytest.raises(TypeError, match="only floating-point tensors can require gradients"):
        Tensor([1, 2], dtype="int64", requires_grad=True)


# ------------------------------------------------------------------- factories


def test_factories():
    assert tt.zeros(2, 3).shape == (2, 3)
    assert tt.zeros((2, 3)).dtype == tt.float32
    np.testing.assert_array_equal(tt.ones(2, dtype="float64").data, [1.0, 1.0])
    np.testing.assert_array_equal(tt.full((2,), 7.0).data, [7.0, 7.0])
    assert tt.arange(5).dtype == tt.int64
    np.testing.assert_array_equal(tt.arange(5).data, [0, 1, 2, 3, 4])
    np.testing.assert_allclose(tt.arange(0, 1, 0.25).data, [0, 0.25, 0.5, 0.75])
    assert tt.arange(0, 1, 0.25).dtype == tt.float32
    assert tt.randn(3, 4, requires_grad=True).requires_grad
    r = tt.rand(1000)
    assert r.dtype == tt.float32 and r.data.min() >= 0 and r.data.max() < 1


def test_manual_seed_reproduces_and_state_round_trips():
    tt.manual_seed(123)
    a = tt.randn(5).data.copy()
    state = tt.get_rng_state()
    b = tt.rand(3).data.copy()
    tt.manual_seed(123)
    np.testing.assert_array_equal(tt.randn(5).data, a)
    tt.set_rng_state(state)
    np.testing.assert_array_equal(tt.rand(3).data, b)
    tt.manual_seed(124)
    assert not np.array_equal(tt.randn(5).data, a)


# ------------------------------------------------------------ forward values

A = np.array([[0.5, -1.0, 2.0], [3.0, 0.25, -4.0]], dtype=np.float32)
B = np.array([1.5, 2.0, -0.5], dtype=np.float32)


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (lambda a, b: a + b, A + B),
        (lambda a, b: a - b, A - B),
        (lambda a, b: a * b, A * B),
        (lambda a, b: a / b, A / B),
        (lambda a, b: 2 + a, 2 + A),
        (lambda a, b: 2 - a, 2 - A),
        (lambda a, b: 3 * a, 3 * A),
        (lambda a, b: 1 / b, 1 / B),
        (lambda a, b: a**2, A**2),
        (lambda a, b: 2**b, 2**B),
        (lambda a, b: a.abs() ** b, np.abs(A) ** B),
        (lambda a, b: -a, -A),
        (lambda a, b: a.abs().sqrt(), np.sqrt(np.abs(A))),
        (lambda a, b: a.exp(), np.exp(A)),
        (lambda a, b: a.abs().log(), np.log(np.abs(A))),
        (lambda a, b: tt.maximum(a, b), np.maximum(A, B)),
        (lambda a, b: tt.minimum(a, 0.0), np.minimum(A, 0)),
        (lambda a, b: tt.where(a > 0, a, b), np.where(A > 0, A, B)),
        (lambda a, b: a.clip(-1, 1), np.clip(A, -1, 1)),
        (lambda a, b: a @ b, A @ B),
        (lambda a, b: a.T @ a, A.T @ A),
    ],
)
def test_elementwise_and_matmul_values(fn, expected):
    out = fn(Tensor(A), Tensor(B))
    assert out.dtype == tt.float32  # Python scalars never change the dtype
    np.testing.assert_allclose(out.data, expected, rtol=1e-6)


def test_batched_matmul_broadcasts_like_numpy():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((2, 1, 3, 4)).astype(np.float32)
    b = rng.standard_normal((5, 4, 2)).astype(np.float32)
    np.testing.assert_allclose((Tensor(a) @ Tensor(b)).data, a @ b, rtol=1e-5)
    v = rng.standard_normal(4).astype(np.float32)
    np.testing.assert_allclose((Tensor(a) @ Tensor(v)).data, a @ v, rtol=1e-5)
    np.testing.assert_allclose((Tensor(v) @ Tensor(b)).data, v @ b, rtol=1e-5)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(axis, keepdims):
    t = Tensor(A)
    np.testing.assert_allclose(t.sum(axis, keepdims).data, A.sum(axis, keepdims=keepdims), rtol=1e-6)
    np.testing.assert_allclose(t.mean(axis, keepdims).data, A.mean(axis, keepdims=keepdims), rtol=1e-6)
    np.testing.assert_array_equal(t.max(axis, keepdims).data, A.max(axis, keepdims=keepdims))
    np.testing.assert_array_equal(t.min(axis, keepdims).data, A.min(axis, keepdims=keepdims))
    var = t.var(axis, keepdims).data
    np.testing.assert_allclose(var, A.var(axis, keepdims=keepdims, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(
        t.var(axis, keepdims, correction=0).data, A.var(axis, keepdims=keepdims), rtol=1e-5
    )


def test_argmax_and_comparisons_have_no_gradient():
    x = Tensor(A, requires_grad=True)
    assert x.argmax().item() == 3
    np.testing.assert_array_equal(x.argmax(axis=1).data, [2, 0])
    assert x.argmax(axis=0, keepdims=True).shape == (1, 3)
    for cmp in (x > 0, x >= 0.5, x < B[0], x <= 0, x == 2.0, x != Tensor(A)):
        assert cmp.dtype == tt.bool_
        assert not cmp.requires_grad and cmp.grad_fn is None
    np.testing.assert_array_equal((x > 0).data, A > 0)


def test_shape_ops_values():
    x = Tensor(np.arange(24, dtype=np.float32).reshape(2, 3, 4))
    assert x.reshape(6, -1).shape == (6, 4)
    assert x.reshape((4, 6)).shape == (4, 6)
    assert x.view(-1).shape == (24,)
    assert x.transpose(0, 2).shape == (4, 3, 2)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    np.testing.assert_array_equal(x.permute(2, 0, 1).data, x.data.transpose(2, 0, 1))
    assert x[:, :1].squeeze().shape == (2, 4)
    assert x[:, :1].squeeze(1).shape == (2, 4)
    assert x.squeeze(0).shape == (2, 3, 4)  # not size 1: unchanged, as PyTorch
    assert x.unsqueeze(0).shape == (1, 2, 3, 4)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert x.flatten(1).shape == (2, 12)
    assert Tensor([1.0, 2.0]).expand(3, -1).shape == (3, 2)
    assert tt.cat([x, x], axis=1).shape == (2, 6, 4)
    assert tt.stack([x, x], axis=-1).shape == (2, 3, 4, 2)


def test_indexing_values():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = Tensor(a)
    np.testing.assert_array_equal(x[1].data, a[1])
    np.testing.assert_array_equal(x[::2, 1:].data, a[::2, 1:])
    np.testing.assert_array_equal(x[[0, 0, 2]].data, a[[0, 0, 2]])
    np.testing.assert_array_equal(x[Tensor([2, 1], dtype="int64")].data, a[[2, 1]])
    np.testing.assert_array_equal(x[x > 5].data, a[a > 5])
    np.testing.assert_array_equal(x[..., None, -1].data, a[..., None, -1])


# ------------------------------------------------------------------------ views


def test_views_share_memory_with_their_base():
    x = Tensor(np.arange(24, dtype=np.float32).reshape(4, 6))
    for view in (
        x.reshape(6, 4),
        x.view(24),
        x.T,
        x.transpose(0, 1),
        x.permute(1, 0),
        x[1:3, ::2],
        x[2],
        x.unsqueeze(0),
        x[:1].squeeze(0),
        x[:, :1].expand(4, 5),
        x.flatten(),
    ):
        assert np.shares_memory(view.data, x.data)
    assert not np.shares_memory(x[[0, 1]].data, x.data)  # advanced indexing copies
    assert not np.shares_memory(x.T.reshape(24).data, x.data)  # non-contiguous: reshape copies


def test_view_refuses_to_copy():
    x = Tensor(np.zeros((4, 6), dtype=np.float32)).T
    with pytest.raises(ValueError, match=r"view: .*cannot be viewed as shape \(24,\).*use reshape"):
        x.view(24)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    ("fn", "error", "message"),
    [
        (
            lambda: Tensor(np.ones((2, 3))) + Tensor(np.ones((4,))),
            ValueError,
            r"add: .*broadcast.*\(2, 3\), \(4,\)",
        ),
        (lambda: tt.ones(2, 3) * tt.ones(3, 2), ValueError, r"mul: .*\(2, 3\), \(3, 2\)"),
        (
            lambda: tt.ones(2, 3) @ tt.ones(2, 3),
            ValueError,
            r"matmul: cannot multiply shapes \(2, 3\) and \(2, 3\): inner dimensions 3 and 2 differ",
        ),
        (lambda: tt.ones(3) @ tt.ones(()), ValueError, "matmul: both operands need at least 1 dimension"),
        (
            lambda: tt.ones(2) + tt.ones(2, dtype="float64"),
            TypeError,
            r"add: mixed dtypes \(float32, float64\)",
        ),
        (lambda: tt.ones(2) @ tt.ones(2, dtype="float64"), TypeError, "matmul: mixed dtypes"),
        (lambda: tt.arange(3).mean(), TypeError, "mean: expected a floating-point tensor, got int64"),
        (lambda: tt.ones(2) + np.ones(2), TypeError, "add: wrap NumPy arrays in a Tensor"),
        (lambda: tt.ones(2) + "1", TypeError, "add: unsupported operand of type str"),
        (lambda: tt.ones(2, 3).sum(axis=2), ValueError, r"sum: axis 2 is out of range .*\(2, 3\)"),
        (lambda: tt.ones(2, 3).max(axis=(0, 0)), ValueError, "max: axis .* names the same axis twice"),
        (lambda: tt.arange(3).var(), TypeError, "var: expected a floating-point tensor, got int64"),
        (lambda: tt.ones(2, 3).reshape(4, 2), ValueError, r"reshape: .*size 6.*\(input shapes \(2, 3\)\)"),
        (lambda: tt.ones(2, 3).permute(0, 0), ValueError, "permute: .* is not a permutation"),
        (lambda: tt.ones(2, 3).transpose(0, 2), ValueError, "transpose: dim 2 is out of range"),
        (
            lambda: tt.ones(2, 3).expand(4, 3, 2),
            ValueError,
            r"expand: cannot expand dimension 0 of shape \(2, 3\) from 2 to 3",
        ),
        (lambda: tt.ones(3)[5], IndexError, r"getitem: index 5 is out of bounds.*\(3,\)"),
        (lambda: tt.ones(3)[tt.ones(2)], TypeError, "getitem: tensors used as indices must be int64 or bool"),
        (lambda: tt.cat([tt.ones(2, 3), tt.ones(2, 4)]), ValueError, r"cat: .*\(2, 3\), \(2, 4\)"),
        (lambda: tt.cat([]), ValueError, "cat: expected a non-empty sequence"),
        (lambda: tt.stack([tt.ones(2), tt.ones(3)]), ValueError, r"stack: .*\(2,\), \(3,\)"),
        (lambda: tt.where(tt.ones(2), tt.ones(2), 0.0), TypeError, "where: the condition must be a bool"),
        (lambda: tt.ones(2).clip(), ValueError, "clip: give at least one of min, max"),
        (lambda: tt.ones(2, 2) > tt.ones(3), ValueError, "greater: .*"),
        (lambda: bool(tt.ones(2)), ValueError, "ambiguous"),
    ],
)
def test_bad_input_is_a_clear_error_naming_the_op(fn, error, message):
    with pytest.raises(error, match=message):
        fn()
