"""Elementwise math (ops_math.py, given code of issue 15): sin, cos, erf, rsqrt,
log2/log10/log1p/expm1, floor/ceil/round/trunc/sign, isnan/isinf/isfinite, % and //, lerp.

Forward values, dtypes, edge shapes and errors (module 02); gradients by gradcheck in
float64 and the zero gradient of the piecewise-constant ops (module 05). Expected values
are written out or computed with the math module. Scalar promotion is in
test_promotion.py, the reductions in test_reductions.py, the factories in test_factories.py.
"""

import math

import numpy as np
import pytest

import tinytorch.core as tt
from tinytorch.core import ArgumentError, DTypeError, Tensor

RNG = np.random.default_rng(7)
X = [-2.5, -1.5, -0.5, 0.0, 0.5, 1.5, 2.5]


def f64(values, requires_grad: bool = True) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=requires_grad)


def ints(values) -> Tensor:
    return Tensor(np.asarray(values, dtype=np.int64))


# ------------------------------------------------------------------- forward


@pytest.mark.module02
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


@pytest.mark.module02
def test_erf_and_rsqrt_at_the_edges_of_their_domain():
    e = tt.erf(f64([np.inf, -np.inf], requires_grad=False))
    assert e.tolist() == [1.0, -1.0]
    out = tt.rsqrt(Tensor([4.0, 0.25, 0.0, -1.0]))
    np.testing.assert_allclose(out.data[:2], [0.5, 2.0])
    assert out.data[2] == np.inf and np.isnan(out.data[3])


@pytest.mark.module02
def test_round_with_decimals():
    np.testing.assert_allclose(Tensor([1.2345, -0.0051]).round(2).data, [1.23, -0.01])
    np.testing.assert_allclose(tt.round(Tensor([1234.0]), decimals=-2).data, [1200])


@pytest.mark.module02
def test_dtypes_follow_pytorch():
    i = ints([-2, 0, 3])
    for op in (tt.sin, tt.cos, tt.erf, tt.rsqrt, tt.log2, tt.log10, tt.log1p, tt.expm1):
        assert op(i).dtype == tt.float32, op.__name__  # int -> PyTorch's default float dtype
        assert op(f64([1.0], requires_grad=False)).dtype == tt.float64, op.__name__
    np.testing.assert_allclose(tt.sin(i).data, np.sin([-2.0, 0.0, 3.0]), rtol=1e-6)
    for op in (tt.floor, tt.ceil, tt.round, tt.trunc, tt.sign):  # ints stay ints
        out = op(i)
        assert out.dtype == tt.int64, op.__name__
    assert tt.floor(i).tolist() == [-2, 0, 3] and tt.sign(i).tolist() == [-1, 0, 1]
    flags = Tensor(np.array([True, False]))
    assert tt.sign(flags).dtype == tt.bool_ and tt.sign(flags).tolist() == [True, False]
    assert tt.sin(flags).dtype == tt.float32
    assert tt.floor(Tensor([1.5])).dtype == tt.float32


@pytest.mark.module02
def test_isnan_isinf_isfinite():
    x = Tensor([1.0, np.nan, np.inf, -np.inf, 0.0])
    assert tt.isnan(x).tolist() == [False, True, False, False, False]
    assert x.isinf().tolist() == [False, False, True, True, False]
    assert tt.isfinite(x).tolist() == [True, False, False, False, True]
    assert tt.isnan(x).dtype == tt.bool_
    assert tt.isfinite(ints([1, 2])).tolist() == [True, True]
    y = Tensor([np.nan, 1.0], requires_grad=True)
    assert tt.isnan(y).grad_fn is None and not tt.isnan(y).requires_grad


@pytest.mark.module02
def test_remainder_and_floor_divide_follow_pythons_signs():
    a, b = [-7, 7, -7, 7, 5], [2, -2, -2, 2, 3]
    assert (tt.arange(0) % 2).dtype == np.int64
    assert (ints(a) % ints(b)).tolist() == [x % y for x, y in zip(a, b, strict=True)]  # not C's fmod
    assert (ints(a) // ints(b)).tolist() == [x // y for x, y in zip(a, b, strict=True)]
    af, bf = [-7.5, 7.5, -7.5, 0.25], [2.0, -2.0, -2.0, 0.75]
    assert (Tensor(af) % Tensor(bf)).tolist() == [x % y for x, y in zip(af, bf, strict=True)]
    assert (Tensor(af) // Tensor(bf)).tolist() == [x // y for x, y in zip(af, bf, strict=True)]
    assert (10 % ints([3, -3])).tolist() == [1, -2]  # reflected
    assert (10 // ints([3, -3])).tolist() == [3, -4]
    assert (ints([-7, 7]) // 2).dtype == tt.int64
    assert (ints([7]) % 2.5).dtype == tt.float32  # an int tensor with a float: float32
    assert (Tensor([5.0, -5.0]) % 0.0).isnan().all().item()  # float % 0 is nan, as PyTorch
    assert (Tensor([5.0, -5.0]) // 0.0).tolist() == [math.inf, -math.inf]
    assert tt.remainder(ints([5, 6]), 4).tolist() == [1, 2]
    assert tt.floor_divide(7.5, Tensor([2.0])).tolist() == [3.0]


@pytest.mark.module02
def test_lerp_values_and_broadcasting():
    start, end = Tensor([0.0, 10.0]), Tensor([10.0, 20.0])
    assert tt.lerp(start, end, 0.25).tolist() == [2.5, 12.5]
    assert start.lerp(end, Tensor([0.0, 1.0])).tolist() == [0, 20]
    assert start.lerp(end, Tensor([2.0, -1.0])).tolist() == [20, 0]  # weights outside [0, 1]
    out = tt.lerp(tt.zeros(3, 1), Tensor([1.0, 2.0]), Tensor([[0.5], [1.0], [0.0]]))
    assert out.shape == (3, 2)
    assert out.tolist() == [[0.5, 1.0], [1.0, 2.0], [0.0, 0.0]]


@pytest.mark.module02
def test_edge_shapes_zero_size_and_zero_d():
    empty = Tensor(np.ones((2, 0, 3)))
    for op in (tt.sin, tt.erf, tt.floor, tt.isnan, tt.log1p, tt.sign):
        assert op(empty).shape == (2, 0, 3), op.__name__
    assert (empty % 2.0).shape == (2, 0, 3) and (empty // 2.0).shape == (2, 0, 3)
    assert tt.lerp(empty, empty, 0.5).shape == (2, 0, 3)
    scalar = Tensor(0.5)
    assert tt.erf(scalar).shape == () and tt.round(scalar).shape == ()
    assert (Tensor(7.0) % 4.0).item() == 3.0 and (Tensor(7.0) // 4.0).item() == 1.0


# -------------------------------------------------------------------- errors


@pytest.mark.module02
@pytest.mark.parametrize(
    ("fn", "op"),
    [
        (lambda t: t % 0, "remainder"),
        (lambda t: t // 0, "floor_divide"),
        (lambda t: 3 % (t * 0), "remainder"),
        (lambda t: t.remainder(t - t), "remainder"),
        (lambda t: tt.floor_divide(t, ints([1, 0, 1])), "floor_divide"),
    ],
)
def test_integer_division_by_zero_is_an_error(fn, op):
    with pytest.raises(ArgumentError, match=rf"^{op}: integer division by zero"):
        fn(tt.arange(3))


@pytest.mark.module02
def test_math_errors_name_the_op_and_the_dtypes():
    with pytest.raises(DTypeError, match=r"round: decimals=2 needs a floating-point tensor, got int64"):
        ints([1]).round(2)
    with pytest.raises(DTypeError, match=r"lerp: start and end must be floating-point tensors, got int64"):
        tt.lerp(ints([1]), ints([2]), 0.5)
    with pytest.raises(TypeError, match=r"lerp: start and end must be Tensors, got ndarray"):
        tt.lerp(np.zeros(2), Tensor([1.0, 2.0]), 0.5)
    with pytest.raises(TypeError, match=r"lerp: start and end must be Tensors"):
        tt.lerp(1.0, Tensor([1.0]), 0.5)
    with pytest.raises(TypeError, match=r"remainder: at least one operand must be a Tensor"):
        tt.remainder(7, 2)


# ----------------------------------------------------------------- gradients


@pytest.mark.module05
@pytest.mark.parametrize(
    ("name", "low", "high"),
    [
        ("sin", -3, 3),
        ("cos", -3, 3),
        ("erf", -2.5, 2.5),
        ("rsqrt", 0.2, 3),
        ("log2", 0.2, 3),
        ("log10", 0.2, 3),
        ("log1p", -0.8, 3),
        ("expm1", -2, 2),
    ],
)
def test_unary_gradcheck(name, low, high):
    x = f64(RNG.uniform(low, high, (3, 4)))
    assert tt.gradcheck(getattr(tt, name), x)
    assert tt.gradcheck(lambda a: getattr(a, name)(), f64(RNG.uniform(low, high, ())))  # 0-d


@pytest.mark.module05
def test_erf_gradient_is_its_density():
    x = f64([0.0, 1.0, -2.0])
    tt.erf(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 / math.sqrt(math.pi) * np.exp(-(x.data**2)), rtol=1e-12)


@pytest.mark.module05
def test_remainder_gradcheck_both_sides_broadcast():
    b = f64([[0.7], [1.3], [-0.9]])  # (3, 1), broadcast against a's (3, 4)
    whole = RNG.integers(-3, 4, (3, 4))
    frac = RNG.uniform(0.2, 0.8, (3, 4))  # a / b away from the jumps of floor
    a = f64(b.data * (whole + frac))
    assert tt.gradcheck(lambda x, y: x % y, a, b)
    assert tt.gradcheck(tt.remainder, a, b)
    assert tt.gradcheck(lambda x: tt.remainder(x, 0.7), a)
    assert tt.gradcheck(lambda y: 2.25 % y, f64([1.0, -1.0, 0.875, 2.0]))  # reflected
    a.grad = b.grad = None
    (a % b).sum().backward()
    np.testing.assert_array_equal(a.grad.data, np.ones((3, 4)))
    np.testing.assert_allclose(b.grad.data, -np.floor(a.data / b.data).sum(1, keepdims=True))


@pytest.mark.module05
def test_lerp_gradcheck_start_end_and_weight():
    start, end = f64(RNG.standard_normal((2, 3))), f64(RNG.standard_normal((3,)))
    weight = f64(RNG.uniform(0, 1, (2, 1)))
    assert tt.gradcheck(tt.lerp, start, end, weight)
    assert tt.gradcheck(lambda s, e: s.lerp(e, 0.3), start, end)


@pytest.mark.module05
@pytest.mark.parametrize(
    "fn",
    [
        tt.floor,
        tt.ceil,
        tt.round,
        tt.trunc,
        tt.sign,
        lambda a: a.round(decimals=1),
        lambda a: a // 0.75,
        lambda a: tt.floor_divide(a, a * 0 + 2),
    ],
    ids=["floor", "ceil", "round", "trunc", "sign", "round_decimals", "floordiv", "floor_divide"],
)
def test_piecewise_constant_ops_have_zero_gradient(fn):
    x = f64([-1.5, -0.2, 0.0, 0.5, 2.0])  # also at the jumps, as PyTorch
    out = fn(x)
    assert out.requires_grad
    (out * Tensor(np.arange(5.0))).sum().backward()
    assert x.grad is not None and x.grad.dtype == tt.float64
    np.testing.assert_array_equal(x.grad.data, np.zeros(5))
    assert tt.gradcheck(fn, f64([-1.3, -0.2, 0.4, 1.6]))  # away from the jumps


@pytest.mark.module05
def test_floor_divide_has_zero_gradient_for_both_sides():
    a, b = f64([[7.0, -7.0]]), f64([[2.0], [3.0]])
    (a // b).sum().backward()
    assert a.grad.shape == (1, 2) and b.grad.shape == (2, 1)
    assert not a.grad.data.any() and not b.grad.data.any()
