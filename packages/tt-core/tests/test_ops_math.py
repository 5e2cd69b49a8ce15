"""Module 02: values, dtypes and errors of issue 15's given ops: elementwise math
(ops_math.py), the new reductions and factories. Expected values are written out or
computed with the math module. Scalar promotion, index placement, clip, var/std without
degrees of freedom, where with scalars and flatten are in test_promotion.py.
"""

import math

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DTypeError, Tensor

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
