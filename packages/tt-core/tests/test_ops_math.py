"""Module 02: values, dtypes and errors of issue 15's given ops: elementwise math
(ops_math.py), PyTorch's scalar promotion, index placement, clip(min > max), var/std
without degrees of freedom, where with scalars, flatten, the new reductions and
factories. Expected values are written out or computed with the math module.
"""

import math
import warnings

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DimensionError, DTypeError, Tensor

pytestmark = pytest.mark.module02

X = [-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("name", "ref", "values"),
    [
        ("sin", math.sin, X),
        ("cos", math.cos, X),
        ("erf", math.erf, [*X, -6.0, 6.0]),
        ("rsqrt", lambda v: 1 / math.sqrt(v), [0.25, 1.0, 2.0, 9.0]),
        ("log2", math.log2, [0.25, 1.0, 3.0]),
        ("log10", math.log10, [0.01, 1.0, 30.0]),
        ("log1p", math.log1p, [-0.5, 1e-10, 3.0]),
        ("expm1", math.expm1, [-1.0, 1e-10, 2.0]),
        ("floor", math.floor, X),
        ("ceil", math.ceil, X),
        ("trunc", math.trunc, X),
        ("round", round, X),  # Python's round is half to even, as torch.round
        ("sign", lambda v: float(np.sign(v)), X),
    ],
)
def test_elementwise_values_and_dtype(name, ref, values, dtype):
    x = Tensor(values, dtype=dtype)
    for out in (getattr(tt, name)(x), getattr(x, name)()):
        assert out.dtype == np.dtype(dtype) and out.shape == x.shape
        np.testing.assert_allclose(
            out.data, [ref(v) for v in values], rtol=1e-6 if dtype == "float32" else 1e-14
        )


def test_isnan_isinf_isfinite():
    x = Tensor([0.0, np.nan, np.inf, -np.inf, -1.0])
    assert tt.isnan(x).tolist() == [False, True, False, False, False]
    assert x.isinf().tolist() == [False, False, True, True, False]
    assert tt.isfinite(x).tolist() == [True, False, False, False, True]
    assert tt.isnan(x).dtype == np.bool_ and not tt.isnan(Tensor([1.0], requires_grad=True)).requires_grad
    assert tt.isfinite(tt.arange(3)).tolist() == [True] * 3


def test_remainder_and_floor_divide_follow_pythons_signs():
    a, b = [-7, 7, -7, 7, 5], [2, -2, -2, 2, 3]
    assert (tt.arange(0) % 2).dtype == np.int64
    assert (Tensor(np.array(a)) % Tensor(np.array(b))).tolist() == [x % y for x, y in zip(a, b, strict=True)]
    assert (Tensor(np.array(a)) // Tensor(np.array(b))).tolist() == [
        x // y for x, y in zip(a, b, strict=True)
    ]
    af, bf = [-7.5, 7.5, -7.5, 0.25], [2.0, -2.0, -2.0, 0.75]
    assert (Tensor(af) % Tensor(bf)).tolist() == [x % y for x, y in zip(af, bf, strict=True)]
    assert (Tensor(af) // Tensor(bf)).tolist() == [x // y for x, y in zip(af, bf, strict=True)]
    assert (10 % Tensor(np.array([3, -3]))).tolist() == [1, -2]
    assert (10 // Tensor(np.array([3, -3]))).tolist() == [3, -4]
    assert (Tensor([5.0, -5.0]) % 0.0).isnan().all().item()
    assert (Tensor([5.0, -5.0]) // 0.0).tolist() == [math.inf, -math.inf]
    assert tt.remainder(Tensor(np.array([5, 6])), 4).tolist() == [1, 2]
    assert tt.floor_divide(7.5, Tensor([2.0])).tolist() == [3.0]


@pytest.mark.parametrize(
    "fn", [lambda t: t % 0, lambda t: t // 0, lambda t: 3 % (t * 0), lambda t: t.remainder(t - t)]
)
def test_integer_division_by_zero_is_an_error(fn):
    with pytest.raises(ArgumentError, match="integer division by zero"):
        fn(tt.arange(3))


def test_lerp():
    start, end = Tensor([1.0, 2.0]), Tensor([3.0, 6.0])
    assert tt.lerp(start, end, 0.5).tolist() == [2.0, 4.0]
    assert start.lerp(end, Tensor([0.0, 2.0])).tolist() == [1.0, 10.0]
    with pytest.raises(TypeError, match="lerp: start and end must be Tensors"):
        tt.lerp(1.0, end, 0.5)
    with pytest.raises(DTypeError, match="lerp: start and end must be floating-point"):
        tt.lerp(tt.arange(2), end, 0.5)


def test_rounding_keeps_int_tensors():
    x = Tensor(np.array([-2, 0, 3]))
    for fn in (tt.floor, tt.ceil, tt.round, tt.trunc, tt.sign):
        out = fn(x)
        assert out.dtype == np.int64
    assert tt.sign(x).tolist() == [-1, 0, 1]
    assert tt.floor(x).tolist() == [-2, 0, 3]
    with pytest.raises(DTypeError, match="round: decimals=1 needs a floating-point tensor"):
        x.round(decimals=1)


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


# ------------------------------------------------------------- reductions


def test_new_reductions():
    x = Tensor([[1.0, -4.0, 0.0], [2.0, 2.0, -2.0]])
    np.testing.assert_allclose(x.std().item(), np.std(x.data, ddof=1), rtol=1e-6)
    np.testing.assert_allclose(x.std(dim=1, correction=0).data, np.std(x.data, axis=1), rtol=1e-6)
    assert x.any().item() and not x.all().item()
    assert x.all(dim=1).tolist() == [False, True] and x.any(axis=0, keepdims=True).shape == (1, 3)
    assert x.argmin().item() == 1 and x.argmin(dim=1).tolist() == [1, 2] and x.argmin(1, True).shape == (2, 1)
    np.testing.assert_allclose(x.logsumexp(dim=1).data, np.log(np.exp(x.data).sum(1)), rtol=1e-6)
    assert Tensor([1000.0, 1000.0]).logsumexp().item() == pytest.approx(1000 + math.log(2))
    assert Tensor([-math.inf, -math.inf]).logsumexp().item() == -math.inf
    assert tt.zeros(0).logsumexp().item() == -math.inf
    assert x.norm().item() == pytest.approx(math.sqrt(29))
    assert x.norm(1).item() == 11 and x.norm(math.inf).item() == 4 and x.norm(-math.inf).item() == 0
    assert x.norm(0, dim=1).tolist() == [2, 3]
    assert x.norm(3, dim=-1, keepdim=True).shape == (2, 1)
    with pytest.raises(ArgumentError, match="norm: unsupported p='nuc'"):
        x.norm("nuc")


def test_dim_and_keepdim_aliases():
    x = Tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(dim=1, keepdim=True).tolist() == [[3.0], [12.0]]
    assert x.mean(dim=0).tolist() == [1.5, 2.5, 3.5]
    assert x.max(dim=-1).tolist() == [2.0, 5.0]  # values only (PyTorch: values and indices)
    assert x.min(dim=0, keepdim=True).shape == (1, 3)
    assert x.var(dim=1, unbiased=False).tolist() == pytest.approx([2 / 3, 2 / 3])
    assert x.argmax(dim=1).tolist() == [2, 2]
    with pytest.raises(ArgumentError, match="sum: got both axis=0 and dim=1"):
        x.sum(0, dim=1)
    with pytest.raises(ArgumentError, match="mean: got both keepdims and keepdim"):
        x.mean(keepdims=True, keepdim=True)


# -------------------------------------------------------------- factories


def test_factories():
    assert tt.eye(2, 3).tolist() == [[1, 0, 0], [0, 1, 0]] and tt.eye(2).dtype == np.float32
    assert tt.eye(2, dtype="int64").dtype == np.int64
    assert tt.linspace(0, 1, 5).tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert tt.linspace(0, 1, 1).tolist() == [0] and tt.linspace(0, 1, 0).shape == (0,)
    a = tt.arange(0, 1, 0.3)
    assert a.dtype == np.float32 and a.tolist() == pytest.approx([0, 0.3, 0.6, 0.9])
    assert tt.arange(0.5, 3).tolist() == [0.5, 1.5, 2.5]
    assert tt.arange(1, -1, -0.5).tolist() == [1, 0.5, 0, -0.5]
    assert tt.arange(5).dtype == np.int64 and tt.arange(1, 10, 3).tolist() == [1, 4, 7]
    assert len(tt.arange(-1, 1, 0.1)) == math.ceil((1 - -1) / 0.1)
    i = tt.arange(3)
    assert tt.zeros_like(i).dtype == np.int64 and tt.ones_like(i, dtype="float64").dtype == np.float64
    assert (
        tt.full_like(i, 2.75).tolist() == [2, 2, 2] and tt.full_like(tt.ones(2), 2.75).tolist() == [2.75] * 2
    )
    assert tt.empty(2, 3).shape == (2, 3) and tt.empty_like(i).dtype == np.int64
    assert tt.zeros_like(tt.ones(2), requires_grad=True).requires_grad


@pytest.mark.parametrize(
    ("fn", "error", "message"),
    [
        (lambda: tt.arange(0, 1, 0), ArgumentError, "arange: step must not be zero"),
        (lambda: tt.arange(0, 5, -1), ArgumentError, "arange: upper bound and larger bound inconsistent"),
        (lambda: tt.arange(0, math.inf), ArgumentError, "arange: end must be finite"),
        (lambda: tt.arange("a"), TypeError, "arange: end must be a number"),
        (lambda: tt.linspace(0, 1, -1), ArgumentError, "linspace: number of steps must be non-negative"),
        (lambda: tt.linspace(0, 1, 2.5), TypeError, "linspace: steps must be an int"),
        (lambda: tt.eye(-1), ValueError, "eye: negative dimension -1"),
        (lambda: tt.zeros_like(np.ones(2)), TypeError, "zeros_like: expected a Tensor"),
    ],
)
def test_factory_errors(fn, error, message):
    with pytest.raises(error, match=message):
        fn()
